// Fully connected layer on the native GEMM, PyTorch layout: x [N, in], weight [out, in],
// bias [out] -> y [N, out] = x W^T + b; backward gives dx = dy W, dW = dy^T x, db = sum_rows dy.
import { invalidRange } from '../check';
import { native } from '../native';
import { Tensor, empty, zeros, requireTensor } from '../tensor';

export interface LinearNative {
  linearForward(
    x: Float32Array,
    weight: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    N: number,
    inFeatures: number,
    outFeatures: number,
  ): void;
  linearForwardReference: LinearNative['linearForward'];
  linearBackward(
    x: Float32Array,
    weight: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dW: Float32Array | null,
    db: Float32Array | null,
    N: number,
    inFeatures: number,
    outFeatures: number,
    accumulate: boolean,
  ): void;
  linearBackwardReference: LinearNative['linearBackward'];
}

export const linearNative = native as unknown as LinearNative;

function shapes(
  op: string,
  x: Tensor,
  weight: Tensor,
): { N: number; inFeatures: number; outFeatures: number } {
  if (x.ndim !== 2) throw invalidRange(op, 'x', 'a 2-D tensor [N, in]', `shape [${x.shape}]`);
  if (weight.ndim !== 2)
    throw invalidRange(op, 'weight', 'a 2-D tensor [out, in]', `shape [${weight.shape}]`);
  const [N, inFeatures] = x.shape;
  const [outFeatures, weightIn] = weight.shape;
  if (weightIn !== inFeatures)
    throw invalidRange(
      op,
      'weight',
      `[out, ${inFeatures}] to match x's ${inFeatures} features`,
      `shape [${weight.shape}]`,
    );
  return { N, inFeatures, outFeatures };
}

/** y = x W^T + b, as torch.nn.functional.linear (x is [N, in]). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = 'linear';
  requireTensor(op, 'x', x);
  requireTensor(op, 'weight', weight);
  const { N, inFeatures, outFeatures } = shapes(op, x, weight);
  if (bias !== undefined && bias !== null) {
    requireTensor(op, 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== outFeatures)
      throw invalidRange(op, 'bias', `shape [${outFeatures}]`, `shape [${bias.shape}]`);
  }
  const y = empty([N, outFeatures]);
  linearNative.linearForward(
    x.data,
    weight.data,
    bias ? bias.data : null,
    y.data,
    N,
    inFeatures,
    outFeatures,
  );
  return y;
}

export interface LinearGradients {
  dx: Tensor | null;
  dW: Tensor | null;
  db: Tensor | null;
}

/** Gradients of linear w.r.t. x, weight and bias (each skipped when its flag is false). */
export function linearBackward(
  x: Tensor,
  weight: Tensor,
  dy: Tensor,
  needs: { input?: boolean; weight?: boolean; bias?: boolean } = {},
): LinearGradients {
  const op = 'linearBackward';
  requireTensor(op, 'x', x);
  requireTensor(op, 'weight', weight);
  requireTensor(op, 'dy', dy);
  const { N, inFeatures, outFeatures } = shapes(op, x, weight);
  if (dy.ndim !== 2 || dy.shape[0] !== N || dy.shape[1] !== outFeatures)
    throw invalidRange(op, 'dy', `shape [${N}, ${outFeatures}]`, `shape [${dy.shape}]`);
  const dx = needs.input === false ? null : zeros([N, inFeatures]);
  const dW = needs.weight === false ? null : zeros([outFeatures, inFeatures]);
  const db = needs.bias === false ? null : zeros([outFeatures]);
  linearNative.linearBackward(
    x.data,
    weight.data,
    dy.data,
    dx?.data ?? null,
    dW?.data ?? null,
    db?.data ?? null,
    N,
    inFeatures,
    outFeatures,
    false,
  );
  return { dx, dW, db };
}
