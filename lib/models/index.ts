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
import './lenet';
export { LeNet, lenet5 } from './lenet';
export type { LeNetOptions } from './lenet';
import './alexnet';
export { AlexNet, alexnet } from './alexnet';
export type { AlexNetOptions } from './alexnet';
import './vgg';
export {
  VGG,
  initVGGWeights,
  makeVGGLayers,
  vggConfigs,
  vgg11,
  vgg11_bn,
  vgg13,
  vgg13_bn,
  vgg16,
  vgg16_bn,
  vgg19,
  vgg19_bn,
} from './vgg';
export type { VGGOptions, VGGConfig } from './vgg';
import './densenet';
export {
  DenseLayer,
  DenseBlock,
  Transition,
  DenseNet,
  initDenseNetWeights,
  densenet121,
  densenet161,
  densenet169,
  densenet201,
} from './densenet';
export type { DenseNetOptions } from './densenet';
import './googlenet';
export {
  BasicConv2d,
  Inception,
  InceptionAux,
  GoogLeNet,
  initGoogLeNetWeights,
  transformImageNetInput,
  googlenet,
} from './googlenet';
export type { GoogLeNetOptions, GoogLeNetOutputs } from './googlenet';
import './inception_v3';
export {
  InceptionA,
  InceptionB,
  InceptionC,
  InceptionD,
  InceptionE,
  InceptionAuxV3,
  Inception3,
  initInception3Weights,
  inception_v3,
} from './inception_v3';
export type { Inception3Options, InceptionOutputs } from './inception_v3';
import './resnet';
import './resnet_cifar';
import './resnet_preact';
export {
  BasicBlock,
  Bottleneck,
  ResNet,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  resnext50_32x4d,
  resnext101_32x8d,
  resnext101_64x4d,
  wide_resnet50_2,
  wide_resnet101_2,
  se_resnet18,
  se_resnet34,
  se_resnet50,
  se_resnet101,
  se_resnet152,
  se_resnext50_32x4d,
} from './resnet';
export type { BlockOptions, ResNetOptions, ResNetBlock } from './resnet';
export {
  CifarResNet,
  PadShortcut,
  resnet20,
  resnet32,
  resnet44,
  resnet56,
  resnet110,
  resnet1202,
  plain20,
  plain32,
  plain44,
  plain56,
  plain110,
} from './resnet_cifar';
export type { CifarResNetOptions } from './resnet_cifar';
export {
  PreActBlock,
  PreActBottleneck,
  PreActResNet,
  preact_resnet18,
  preact_resnet34,
  preact_resnet50,
  preact_resnet101,
  preact_resnet110,
  preact_resnet164,
} from './resnet_preact';
export type { PreActBlockOptions, PreActResNetOptions } from './resnet_preact';
