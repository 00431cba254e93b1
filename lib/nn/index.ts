// nn: modules, layers, blocks and initialisation, PyTorch-shaped.
export { Module, parameter, buffer, isInt64Buffer } from './module';
export type { LoadStateDictResult } from './module';
export * as init from './init';
export { Conv2d } from './layers/conv';
export type { Conv2dLayerOptions, Size2 } from './layers/conv';
export { BatchNorm2d } from './layers/norm';
export type { BatchNorm2dOptions } from './layers/norm';
export { Linear } from './layers/linear';
export {
  ReLU,
  ReLU6,
  LeakyReLU,
  SiLU,
  Hardswish,
  Hardsigmoid,
  Sigmoid,
  Tanh,
  GELU,
} from './layers/activation';
export type { ActivationLayer } from './layers/activation';
export { Dropout, StochasticDepth } from './layers/dropout';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './layers/pooling';
export { Flatten, Identity } from './layers/shape';
export { Sequential, ModuleList, ModuleDict } from './layers/containers';
export { SqueezeExcitation } from './blocks/squeeze_excitation';
export type { SqueezeExcitationOptions } from './blocks/squeeze_excitation';
export { Conv2dNormActivation } from './blocks/conv_norm_activation';
export type { Conv2dNormActivationOptions } from './blocks/conv_norm_activation';
