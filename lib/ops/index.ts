// The functional API (F): every op = native forward + its backward, recorded for autograd.
export { conv2d } from './conv';
export type { Conv2dOptions } from './conv';
export { batchNorm } from './batchnorm';
export type { BatchNormOptions } from './batchnorm';
export {
  relu,
  relu6,
  leakyRelu,
  sigmoid,
  tanh,
  silu,
  hardswish,
  hardsigmoid,
  gelu,
} from './activation';
export { matmul } from './matmul';
export type { Tensor } from '../tensor';
