// optim: optimizers on the fused native update kernels, gradient clipping, LR schedules.
export { Optimizer } from './optimizer';
export type { ParamGroupSpec, OptimizerGroup, OptimizerStateDict } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export { clipGradNorm, clipGradValue } from './clip';
export * as lrScheduler from './schedulers';
export {
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearLR,
  OneCycleLR,
  SequentialLR,
  ChainedScheduler,
  ReduceLROnPlateau,
} from './schedulers';
