// Pointwise activations (forward and backward) on the native kernels. Semantics are PyTorch's
// (torch.relu, F.relu6, F.leaky_relu, torch.sigmoid, torch.tanh, F.silu, F.hardswish,
// F.hardsigmoid, F.gelu with approximate 'none' | 'tanh'). Backward takes the forward INPUT.
import { invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Tensor, empty, requireTensor } from '../tensor';

export type ActivationName =
  | 'relu'
  | 'relu6'
  | 'leakyRelu'
  | 'sigmoid'
  | 'tanh'
  | 'silu'
  | 'hardswish'
  | 'hardsigmoid'
  | 'gelu';

export interface ActivationOptions {
  /** leakyRelu's slope for x < 0 (PyTorch default 0.01). */
  negativeSlope?: number;
  /** gelu: 'none' (exact erf form, default) or 'tanh'. */
  approximate?: 'none' | 'tanh';
}

/** The native surface of this family (the lead wires it into lib/native.ts). */
export interface ActivationNative {
  activationForward(kind: string, param: number, n: number, x: Float32Array, y: Float32Array): void;
  activationForwardReference: ActivationNative['activationForward'];
  activationBackward(
    kind: string,
    param: number,
    n: number,
    x: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
  ): void;
  activationBackwardReference: ActivationNative['activationBackward'];
}

export const activationNative = native as unknown as ActivationNative;

const names: readonly ActivationName[] = [
  'relu',
  'relu6',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'silu',
  'hardswish',
  'hardsigmoid',
  'gelu',
];

/** The native kind and parameter for an activation name and its options (validated). */
export function resolveActivation(
  op: string,
  name: unknown,
  options: ActivationOptions = {},
): { kind: string; param: number } {
  if (typeof name !== 'string') throw invalidType(op, 'activation', 'a string', name);
  if (!names.includes(name as ActivationName))
    throw invalidRange(op, 'activation', `one of ${names.join(', ')}`, name);
  let param = 0;
  if (name === 'leakyRelu') {
    const slope = options.negativeSlope ?? 0.01;
    if (typeof slope !== 'number') throw invalidType(op, 'negativeSlope', 'a number', slope);
    if (!Number.isFinite(slope)) throw invalidRange(op, 'negativeSlope', 'a finite number', slope);
    param = slope;
  }
  let kind: string = name;
  if (name === 'gelu') {
    const approximate = options.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh')
      throw invalidRange(op, 'approximate', "'none' or 'tanh'", approximate);
    if (approximate === 'tanh') kind = 'geluTanh';
  }
  return { kind, param };
}

/** y = f(x), elementwise, any shape. */
export function activationForward(
  name: ActivationName,
  x: Tensor,
  options: ActivationOptions = {},
): Tensor {
  const op = 'activationForward';
  requireTensor(op, 'x', x);
  const { kind, param } = resolveActivation(op, name, options);
  const y = empty(x.shape);
  activationNative.activationForward(kind, param, x.size, x.data, y.data);
  return y;
}

/** dx = f'(x) * dy, from the forward input x. */
export function activationBackward(
  name: ActivationName,
  x: Tensor,
  dy: Tensor,
  options: ActivationOptions = {},
): Tensor {
  const op = 'activationBackward';
  requireTensor(op, 'x', x);
  requireTensor(op, 'dy', dy);
  if (dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i]))
    throw invalidRange(op, 'dy', `shape [${x.shape}] like x`, `shape [${dy.shape}]`);
  const { kind, param } = resolveActivation(op, name, options);
  const dx = empty(x.shape);
  activationNative.activationBackward(kind, param, x.size, x.data, dy.data, dx.data);
  return dx;
}
