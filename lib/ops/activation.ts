// Pointwise activations with autograd (PyTorch's definitions; backward from the input).
import * as kernels from '../kernels/activation';
import type { Tensor } from '../tensor';
import { record } from './record';

function activation(
  name: kernels.ActivationName,
  x: Tensor,
  options: kernels.ActivationOptions = {},
): Tensor {
  const y = kernels.activationForward(name, x, options);
  return record(y, name, [x], (g) => [kernels.activationBackward(name, x, g, options)]);
}

export const relu = (x: Tensor): Tensor => activation('relu', x);
export const relu6 = (x: Tensor): Tensor => activation('relu6', x);
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor =>
  activation('leakyRelu', x, { negativeSlope });
export const sigmoid = (x: Tensor): Tensor => activation('sigmoid', x);
export const tanh = (x: Tensor): Tensor => activation('tanh', x);
export const silu = (x: Tensor): Tensor => activation('silu', x);
export const hardswish = (x: Tensor): Tensor => activation('hardswish', x);
export const hardsigmoid = (x: Tensor): Tensor => activation('hardsigmoid', x);
export const gelu = (x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor =>
  activation('gelu', x, options);
