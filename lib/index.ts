// The public API of convkit.
export { Tensor, tensor, empty, zeros, ones, full, rand, randn, arange, isTensor } from './tensor';
export {
  noGrad,
  enableGrad,
  isGradEnabled,
  tidy,
  keep,
  gradcheck,
  assertGradcheck,
} from './autograd';
export type { Shape, NestedArray } from './tensor';
export { Generator, manualSeed } from './random';
export { matmul } from './ops/matmul';
export * as F from './ops';
export * as runtime from './runtime';
export { memory } from './runtime';
export * as io from './io';
export * as nn from './nn';
export * as optim from './optim';
export * as models from './models';
export * as profile from './profile';
export * as data from './data';
export * as train from './train';
