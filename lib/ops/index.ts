// The functional API (F): every op = native forward + its backward, recorded for autograd.
// Importing it also attaches the Tensor methods (x.add(y), x.mean(), ...).
import './tensor_methods';
export { conv2d } from './conv';
export type { Conv2dOptions, Conv2dOutputs } from './conv';
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
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, globalMaxPool2d } from './pool';
export type { MaxPool2dOptions, AvgPool2dOptions } from './pool';
export { add, sub, mul, div } from './elementwise';
export { sum, mean } from './reduce';
export { cat, split, permute, pad, flatten } from './shape';
export { matmul } from './matmul';
export type { Tensor } from '../tensor';
export { linear } from './linear';
export { dropout } from './dropout';
export type { DropoutOptions } from './dropout';
export { softmax, logSoftmax, crossEntropy, nllLoss, mseLoss } from './loss';
export type { CrossEntropyOptions, Reduction, Labels } from './loss';
