// The model zoo. Each family file registers its constructors; importing it here makes them
// available through models.create(name) and models.list().
export { registerModel, list, info, create } from './registry';
export type { ModelOptions, ModelInfo, ModelListEntry } from './registry';
import './mobilenet';
import './mobilenet_v3';
import './efficientnet';
export {
  makeDivisible,
  DepthwiseSeparable,
  MobileNetV1,
  mobilenet_v1,
  InvertedResidual,
  MobileNetV2,
  mobilenet_v2,
} from './mobilenet';
export {
  InvertedResidualV3,
  MobileNetV3,
  mobilenetV3Config,
  mobilenet_v3_large,
  mobilenet_v3_small,
} from './mobilenet_v3';
export {
  MBConv,
  EfficientNet,
  efficientnetConfig,
  adjustChannels,
  adjustDepth,
  compoundScaling,
  efficientnet,
  efficientnet_b0,
  efficientnet_b1,
  efficientnet_b2,
  efficientnet_b3,
  efficientnet_b4,
  efficientnet_b5,
  efficientnet_b6,
  efficientnet_b7,
} from './efficientnet';
export type { MobileNetV1Options, MobileNetV2Options } from './mobilenet';
export type { InvertedResidualV3Config, MobileNetV3Options } from './mobilenet_v3';
export type {
  MBConvConfig,
  EfficientNetOptions,
  CompoundScaling,
  CompoundEfficientNetOptions,
} from './efficientnet';
