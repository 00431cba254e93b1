// Pre-activation ResNets (He et al. 2016, "Identity Mappings in Deep Residual Networks"): each
// residual unit is BN-ReLU-conv, the skip path is a clean identity (a 1x1 projection, taken
// from the pre-activated input, only where the shape changes), and one BN-ReLU (`bn_final`)
// follows the last stage. As in the authors' code the stem is a bare conv (no BN): the first
// unit pre-activates it. ImageNet layout preact_resnet18/34/50/101; CIFAR preact_resnet110
// (BasicBlocks, n = 18) and preact_resnet164 (bottlenecks, n = 18, 16/32/64 x4 channels).
// The stride of a bottleneck sits on its 3x3 conv, as in torchvision's ResNet v1.5.
import { checkInt, invalidRange } from '../check';
import * as F from '../ops';
import type { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { ReLU } from '../nn/layers/activation';
import { Conv2d } from '../nn/layers/conv';
import { Sequential } from '../nn/layers/containers';
import { StochasticDepth } from '../nn/layers/dropout';
import { Linear } from '../nn/layers/linear';
import { BatchNorm2d } from '../nn/layers/norm';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/layers/pooling';
import { Identity } from '../nn/layers/shape';
import {
  checkImageInput,
  conv1x1,
  conv3x3,
  initResNetWeights,
  PAPERS,
  stochasticDepth,
} from './resnet';
import { checkOptionNames, probabilityOption } from './builder_utils';
import { ModelOptions, registerModel } from './registry';

export interface PreActBlockOptions {
  stride?: number;
  /** The projection shortcut (applied to the pre-activated input) where the shape changes. */
  downsample?: Module | null;
  stochasticDepthProb?: number;
}

/** The skip path of a pre-activation unit: projection of the pre-activated input, or x. */
function preActTail(
  block: { downsample: Module | null; stochastic_depth: StochasticDepth | null },
  branch: Tensor,
  x: Tensor,
  pre: Tensor,
): Tensor {
  if (block.stochastic_depth) branch = block.stochastic_depth.forward(branch);
  return F.add(branch, block.downsample ? block.downsample.forward(pre) : x);
}

/** BN-ReLU-conv3x3, BN-ReLU-conv3x3, + x (no ReLU after the add). */
export class PreActBlock extends Module {
  static readonly expansion = 1;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv1: Conv2d;
  bn2: BatchNorm2d;
  conv2: Conv2d;
  downsample: Module | null;
  stochastic_depth: StochasticDepth | null;
  readonly stride: number;

  constructor(inplanes: number, planes: number, options: PreActBlockOptions = {}) {
    super();
    const { stride = 1 } = options;
    this.bn1 = new BatchNorm2d(inplanes);
    this.bn1.activation = 'relu';
    this.relu = new ReLU();
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn2 = new BatchNorm2d(planes);
    this.bn2.activation = 'relu';
    this.conv2 = conv3x3(planes, planes);
    this.downsample = options.downsample ?? null;
    this.stochastic_depth = stochasticDepth(options.stochasticDepthProb);
    this.stride = stride;
  }

  forward(x: Tensor): Tensor {
    const pre = this.bn1.forward(x);
    const out = this.conv2.forward(this.bn2.forward(this.conv1.forward(pre)));
    return preActTail(this, out, x, pre);
  }
}

/** BN-ReLU-conv1x1, BN-ReLU-conv3x3 (stride), BN-ReLU-conv1x1 (x4), + x. */
export class PreActBottleneck extends Module {
  static readonly expansion = 4;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv1: Conv2d;
  bn2: BatchNorm2d;
  conv2: Conv2d;
  bn3: BatchNorm2d;
  conv3: Conv2d;
  downsample: Module | null;
  stochastic_depth: StochasticDepth | null;
  readonly stride: number;

  constructor(inplanes: number, planes: number, options: PreActBlockOptions = {}) {
    super();
    const { stride = 1 } = options;
    this.bn1 = new BatchNorm2d(inplanes);
    this.bn1.activation = 'relu';
    this.relu = new ReLU();
    this.conv1 = conv1x1(inplanes, planes);
    this.bn2 = new BatchNorm2d(planes);
    this.bn2.activation = 'relu';
    this.conv2 = conv3x3(planes, planes, stride);
    this.bn3 = new BatchNorm2d(planes);
    this.bn3.activation = 'relu';
    this.conv3 = conv1x1(planes, planes * PreActBottleneck.expansion);
    this.downsample = options.downsample ?? null;
    this.stochastic_depth = stochasticDepth(options.stochasticDepthProb);
    this.stride = stride;
  }

  forward(x: Tensor): Tensor {
    const pre = this.bn1.forward(x);
    let out = this.conv1.forward(pre);
    out = this.conv2.forward(this.bn2.forward(out));
    out = this.conv3.forward(this.bn3.forward(out));
    return preActTail(this, out, x, pre);
  }
}

export type PreActResNetBlock = typeof PreActBlock | typeof PreActBottleneck;

export interface PreActResNetOptions extends ModelOptions {
  /** Default 1000 (ImageNet layout) or 10 (CIFAR layout). */
  numClasses?: number;
  inChannels?: number;
  /** ImageNet layout only: 3x3 stride-1 conv1 and no maxpool, for 32x32 inputs. */
  cifarStem?: boolean;
  stochasticDepthProb?: number;
}

const PREACT_OPTIONS = ['numClasses', 'inChannels', 'cifarStem', 'stochasticDepthProb'] as const;

/**
 * Pre-activation ResNet. layout 'imagenet': 7x7/2 conv + maxpool, four stages of 64..512
 * planes; 'cifar': 3x3 conv, three stages of 16/32/64 planes.
 */
export class PreActResNet extends Module {
  conv1: Conv2d;
  maxpool: Module;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential | null;
  bn_final: BatchNorm2d;
  relu: ReLU;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly inChannels: number;

  constructor(
    block: PreActResNetBlock,
    layers: readonly number[],
    readonly layout: 'imagenet' | 'cifar' = 'imagenet',
    options: PreActResNetOptions = {},
    readonly name = 'PreActResNet',
  ) {
    super();
    const op = name;
    checkOptionNames(op, options, PREACT_OPTIONS);
    const stages = layout === 'imagenet' ? 4 : 3;
    if (layout !== 'imagenet' && layout !== 'cifar')
      throw invalidRange(op, 'layout', "'imagenet' or 'cifar'", layout);
    if (!Array.isArray(layers) || layers.length !== stages)
      throw invalidRange(op, 'layers', `${stages} block counts for the ${layout} layout`, layers);
    layers.forEach((n, i) => checkInt(op, `layers[${i}]`, n, 1));
    if (layout === 'cifar' && options.cifarStem !== undefined)
      throw new RangeError(`convkit.${op}: cifarStem applies to the ImageNet layout only`);
    const numClasses = checkInt(
      op,
      'numClasses',
      options.numClasses ?? (layout === 'cifar' ? 10 : 1000),
      1,
    );
    this.inChannels = checkInt(op, 'inChannels', options.inChannels ?? 3, 1);
    const sdProb = probabilityOption(op, 'stochasticDepthProb', options.stochasticDepthProb, 0);
    const totalBlocks = layers.reduce((a, b) => a + b, 0);
    const base = layout === 'cifar' ? 16 : 64;
    const smallStem = layout === 'cifar' || options.cifarStem;

    this.conv1 = smallStem
      ? new Conv2d(this.inChannels, base, 3, { padding: 1, bias: false })
      : new Conv2d(this.inChannels, base, 7, { stride: 2, padding: 3, bias: false });
    this.maxpool = smallStem ? new Identity() : new MaxPool2d(3, { stride: 2, padding: 1 });
    let inplanes = base;
    let index = 0;
    const stage = (planes: number, blocks: number, stride: number): Sequential => {
      const out = planes * block.expansion;
      const downsample =
        stride !== 1 || inplanes !== out ? new Sequential(conv1x1(inplanes, out, stride)) : null;
      const layer = new Sequential();
      for (let i = 0; i < blocks; i++) {
        const stochasticDepthProb = (sdProb * ++index) / totalBlocks;
        layer.append(
          i === 0
            ? new block(inplanes, planes, { stride, downsample, stochasticDepthProb })
            : new block(out, planes, { stochasticDepthProb }),
        );
      }
      inplanes = out;
      return layer;
    };
    this.layer1 = stage(base, layers[0], 1);
    this.layer2 = stage(base * 2, layers[1], 2);
    this.layer3 = stage(base * 4, layers[2], 2);
    this.layer4 = stages === 4 ? stage(base * 8, layers[3], 2) : null;
    this.bn_final = new BatchNorm2d(inplanes);
    this.bn_final.activation = 'relu';
    this.relu = new ReLU();
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc = new Linear(inplanes, numClasses);
    initResNetWeights(this, false);
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this.name, x, this.inChannels);
    let y = this.maxpool.forward(this.conv1.forward(x));
    y = this.layer3.forward(this.layer2.forward(this.layer1.forward(y)));
    if (this.layer4) y = this.layer4.forward(y);
    y = this.bn_final.forward(y);
    return this.fc.forward(F.flatten(this.avgpool.forward(y)));
  }
}

type Builder = (options?: PreActResNetOptions) => PreActResNet;
const imagenet = (name: string, block: PreActResNetBlock, layers: number[]): Builder => {
  return (o = {}) => new PreActResNet(block, layers, 'imagenet', o, name);
};
const cifar = (name: string, block: PreActResNetBlock, n: number): Builder => {
  return (o = {}) => new PreActResNet(block, [n, n, n], 'cifar', o, name);
};

export const preact_resnet18 = imagenet('preact_resnet18', PreActBlock, [2, 2, 2, 2]);
export const preact_resnet34 = imagenet('preact_resnet34', PreActBlock, [3, 4, 6, 3]);
export const preact_resnet50 = imagenet('preact_resnet50', PreActBottleneck, [3, 4, 6, 3]);
export const preact_resnet101 = imagenet('preact_resnet101', PreActBottleneck, [3, 4, 23, 3]);
export const preact_resnet110 = cifar('preact_resnet110', PreActBlock, 18);
export const preact_resnet164 = cifar('preact_resnet164', PreActBottleneck, 18);

const table: Array<[string, Builder, number]> = [
  ['preact_resnet18', preact_resnet18, 224],
  ['preact_resnet34', preact_resnet34, 224],
  ['preact_resnet50', preact_resnet50, 224],
  ['preact_resnet101', preact_resnet101, 224],
  ['preact_resnet110', preact_resnet110, 32],
  ['preact_resnet164', preact_resnet164, 32],
];
for (const [name, create, inputSize] of table)
  registerModel({
    name,
    family: 'preact-resnet',
    inputSize,
    inChannels: 3,
    paper: PAPERS.preact,
    create,
  });
