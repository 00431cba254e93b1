// VGG as torchvision 0.14 builds it (Simonyan & Zisserman, 2014): configurations A/B/D/E
// (vgg11/13/16/19), with or without batch norm, features.N, avgpool (AdaptiveAvgPool2d(7)),
// classifier.N. Flatten is channel-major, so torchvision's classifier weights apply. Five 2x2
// max pools mean the input must be at least 32x32; the adaptive pool takes any larger size.
// With batch norm, each BN + ReLU pair runs fused.
import * as F from '../ops';
import type { Tensor } from '../tensor';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  init,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
} from '../nn';
import { FusedSequential } from '../nn/blocks/fused_sequential';
import {
  boolOption,
  buildSkippingDefaultInit,
  checkOptionNames,
  intOption,
  probabilityOption,
} from './builder_utils';
import { registerModel, type ModelOptions } from './registry';

/** Output channels of each 3x3 conv, 'M' for a 2x2 max pool. */
export type VGGConfig = ReadonlyArray<number | 'M'>;

// prettier-ignore
export const vggConfigs: Record<'A' | 'B' | 'D' | 'E', VGGConfig> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

export interface VGGOptions extends ModelOptions {
  numClasses?: number;
  inChannels?: number;
  /** Dropout after the first two classifier layers (0.5). */
  dropout?: number;
  /** torchvision's init (kaiming normal fan_out for convs, N(0, 0.01) for linears); default true. */
  initWeights?: boolean;
}

/** torchvision's make_layers: conv 3x3 pad 1 [+ BN] + ReLU per number, MaxPool2d(2, 2) per 'M'. */
export function makeVGGLayers(
  config: VGGConfig,
  batchNorm: boolean,
  inChannels = 3,
): FusedSequential {
  const layers: Module[] = [];
  let channels = inChannels;
  for (const v of config) {
    if (v === 'M') {
      layers.push(new MaxPool2d(2, { stride: 2 }));
    } else {
      layers.push(new Conv2d(channels, v, 3, { padding: 1 }));
      if (batchNorm) layers.push(new BatchNorm2d(v));
      layers.push(new ReLU());
      channels = v;
    }
  }
  return new FusedSequential(...layers);
}

export class VGG extends Module {
  features: Sequential;
  avgpool: AdaptiveAvgPool2d;
  classifier: Sequential;

  constructor(features: Sequential, options: VGGOptions = {}, op = 'VGG') {
    super();
    checkOptionNames(op, options, ['numClasses', 'inChannels', 'dropout', 'initWeights']);
    const numClasses = intOption(op, 'numClasses', options.numClasses, 1000);
    const dropout = probabilityOption(op, 'dropout', options.dropout, 0.5);
    const initWeights = boolOption(op, 'initWeights', options.initWeights, true);
    this.features = features;
    this.avgpool = new AdaptiveAvgPool2d(7);
    // Every weight is redrawn by initVGGWeights: skip the layers' default init (drawn once).
    this.classifier = buildSkippingDefaultInit(
      initWeights,
      () =>
        new Sequential(
          new Linear(512 * 7 * 7, 4096),
          new ReLU(),
          new Dropout(dropout),
          new Linear(4096, 4096),
          new ReLU(),
          new Dropout(dropout),
          new Linear(4096, numClasses),
        ),
    );
    if (initWeights) initVGGWeights(this);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim === 4 && (x.shape[1] < 32 || x.shape[2] < 32))
      throw new RangeError(
        `convkit.vgg: the input must be at least 32x32 (NHWC); received [${x.shape}]`,
      );
    const features = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(F.flatten(features));
  }
}

/** torchvision's VGG init: kaiming normal (fan_out, relu) for convs, N(0, 0.01) for linears, zero biases, BN 1/0. */
export function initVGGWeights(model: Module): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof Linear) {
      init.normal_(m.weight, 0, 0.01);
      if (m.bias) init.zeros_(m.bias);
    }
  }
}

function _vgg(name: string, config: VGGConfig, batchNorm: boolean, options: VGGOptions): VGG {
  const inChannels = intOption(name, 'inChannels', options.inChannels, 3);
  const initWeights = boolOption(name, 'initWeights', options.initWeights, true);
  const features = buildSkippingDefaultInit(initWeights, () =>
    makeVGGLayers(config, batchNorm, inChannels),
  );
  return new VGG(features, options, name);
}

export const vgg11 = (options: VGGOptions = {}): VGG => _vgg('vgg11', vggConfigs.A, false, options);
export const vgg11_bn = (options: VGGOptions = {}): VGG =>
  _vgg('vgg11_bn', vggConfigs.A, true, options);
export const vgg13 = (options: VGGOptions = {}): VGG => _vgg('vgg13', vggConfigs.B, false, options);
export const vgg13_bn = (options: VGGOptions = {}): VGG =>
  _vgg('vgg13_bn', vggConfigs.B, true, options);
export const vgg16 = (options: VGGOptions = {}): VGG => _vgg('vgg16', vggConfigs.D, false, options);
export const vgg16_bn = (options: VGGOptions = {}): VGG =>
  _vgg('vgg16_bn', vggConfigs.D, true, options);
export const vgg19 = (options: VGGOptions = {}): VGG => _vgg('vgg19', vggConfigs.E, false, options);
export const vgg19_bn = (options: VGGOptions = {}): VGG =>
  _vgg('vgg19_bn', vggConfigs.E, true, options);

for (const [name, create] of Object.entries({
  vgg11,
  vgg13,
  vgg16,
  vgg19,
  vgg11_bn,
  vgg13_bn,
  vgg16_bn,
  vgg19_bn,
}))
  registerModel({
    name,
    family: 'vgg',
    inputSize: 224,
    inChannels: 3,
    paper:
      'Very Deep Convolutional Networks for Large-Scale Image Recognition (Simonyan & Zisserman, 2014)',
    create,
  });
