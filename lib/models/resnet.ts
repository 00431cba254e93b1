// ResNet, ResNeXt, Wide ResNet and SE-ResNet, as torchvision 0.14's models/resnet.py (ResNet
// v1.5: the stride of a Bottleneck sits on its 3x3 conv). Attribute names are torchvision's, so
// `layer1.0.conv1.weight` ... `fc.bias` load from torchvision state dicts unchanged. Additions
// over torchvision: cifarStem, seBlock (SE-ResNet) and stochasticDepthProb.
import { checkInt, invalidRange } from '../check';
import * as F from '../ops';
import type { Tensor } from '../tensor';
import * as init from '../nn/init';
import { Module } from '../nn/module';
import { ReLU } from '../nn/layers/activation';
import { Conv2d } from '../nn/layers/conv';
import { Sequential } from '../nn/layers/containers';
import { StochasticDepth } from '../nn/layers/dropout';
import { Linear } from '../nn/layers/linear';
import { BatchNorm2d } from '../nn/layers/norm';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/layers/pooling';
import { Identity } from '../nn/layers/shape';
import { SqueezeExcitation } from '../nn/blocks/squeeze_excitation';
import { batchNormAddRelu } from '../nn/blocks/fused_sequential';
import { convForNorm, convThenNorm } from '../nn/blocks/conv_norm_activation';
import { checkOptionNames, probabilityOption } from './builder_utils';
import { ModelOptions, registerModel } from './registry';

export const PAPERS = {
  resnet: 'Deep Residual Learning for Image Recognition (He et al., 2015)',
  preact: 'Identity Mappings in Deep Residual Networks (He et al., 2016)',
  resnext: 'Aggregated Residual Transformations (Xie et al., 2017)',
  wide: 'Wide Residual Networks (Zagoruyko & Komodakis, 2016)',
  se: 'Squeeze-and-Excitation Networks (Hu et al., 2018)',
} as const;

/** 3x3 convolution with padding (= dilation), no bias, as torchvision's conv3x3. */
export function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1) {
  return new Conv2d(inPlanes, outPlanes, 3, {
    stride,
    padding: dilation,
    groups,
    dilation,
    bias: false,
  });
}

/** 1x1 convolution, no bias, as torchvision's conv1x1. */
export function conv1x1(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

export interface BlockOptions {
  stride?: number;
  /** The shortcut when shapes change: conv1x1 + BN (torchvision), or option A (CIFAR nets). */
  downsample?: Module | null;
  groups?: number;
  /** torchvision's base_width (64; ResNeXt 4 or 8, Wide ResNet 128). */
  baseWidth?: number;
  dilation?: number;
  /** Adds a SqueezeExcitation `se` after the last BN with this reduction (SE-ResNet: 16). */
  seReduction?: number | null;
  /** Drops the residual branch per sample with this probability in training. */
  stochasticDepthProb?: number;
  /** false: no skip connection at all (the 'plain' nets of the degradation experiment). */
  residual?: boolean;
}

/** SE module for a residual branch of `channels` channels (torchvision's block, ReLU + sigmoid). */
export function seModule(channels: number, reduction: number | null | undefined) {
  if (!reduction) return null;
  return new SqueezeExcitation(channels, Math.max(1, Math.floor(channels / reduction)));
}

export function stochasticDepth(p: number | undefined): StochasticDepth | null {
  return p ? new StochasticDepth(p, 'row') : null;
}

interface ResidualParts {
  se?: Module | null;
  stochastic_depth: Module | null;
  downsample: Module | null;
  residual: boolean;
}

/**
 * The common tail of BasicBlock / Bottleneck: the branch's last batch norm (of `pre`), SE,
 * stochastic depth, skip, then ReLU. Without SE and stochastic depth, the norm, the add and
 * the ReLU run as one batch-norm pass.
 */
export function residualTail(
  block: ResidualParts,
  lastNorm: BatchNorm2d,
  pre: Tensor,
  x: Tensor,
  batchStats?: Float64Array,
): Tensor {
  if (block.residual && !block.se && !block.stochastic_depth) {
    const identity = block.downsample ? block.downsample.forward(x) : x;
    return batchNormAddRelu(lastNorm, pre, identity, batchStats);
  }
  let branch = lastNorm.forwardWith(pre, { batchStats });
  if (block.se) branch = block.se.forward(branch);
  if (!block.residual) return F.relu(branch);
  if (block.stochastic_depth) branch = block.stochastic_depth.forward(branch);
  const identity = block.downsample ? block.downsample.forward(x) : x;
  return F.relu(F.add(branch, identity));
}

/** Two 3x3 convs (ResNet-18/34, CIFAR ResNets). Fields in torchvision's order (state-dict keys). */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  se: SqueezeExcitation | null;
  downsample: Module | null;
  stochastic_depth: StochasticDepth | null;
  readonly stride: number;
  readonly residual: boolean;

  constructor(inplanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const { stride = 1, groups = 1, baseWidth = 64, dilation = 1 } = options;
    if (groups !== 1 || baseWidth !== 64)
      throw new RangeError(
        `convkit.BasicBlock: BasicBlock only supports groups=1 and widthPerGroup=64 but received groups=${groups}, widthPerGroup=${baseWidth}; ResNeXt and Wide ResNet use Bottleneck`,
      );
    if (dilation > 1)
      throw new RangeError(
        'convkit.BasicBlock: dilation > 1 is not supported in BasicBlock (replaceStrideWithDilation needs Bottleneck)',
      );
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new BatchNorm2d(planes);
    this.bn1.activation = 'relu'; // fused: conv1 -> bn1 -> relu
    this.relu = new ReLU();
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new BatchNorm2d(planes);
    this.se = seModule(planes, options.seReduction);
    this.downsample = options.downsample ?? null;
    this.stochastic_depth = stochasticDepth(options.stochasticDepthProb);
    this.stride = stride;
    this.residual = options.residual ?? true;
  }

  forward(x: Tensor): Tensor {
    const out = this.conv2.forward(this.bn1.forward(this.conv1.forward(x)));
    return residualTail(this, this.bn2, out, x);
  }
}

/** 1x1 reduce, 3x3 (stride, groups), 1x1 expand x4 (ResNet-50+, ResNeXt, Wide ResNet). */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  conv3: Conv2d;
  bn3: BatchNorm2d;
  se: SqueezeExcitation | null;
  relu: ReLU;
  downsample: Module | null;
  stochastic_depth: StochasticDepth | null;
  readonly stride: number;
  readonly residual: boolean;

  constructor(inplanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const { stride = 1, groups = 1, baseWidth = 64, dilation = 1 } = options;
    const width = Math.floor(planes * (baseWidth / 64)) * groups;
    if (width < 1)
      throw new RangeError(
        `convkit.Bottleneck: planes ${planes} x widthPerGroup ${baseWidth} / 64 leaves no channels in each group`,
      );
    const out = planes * Bottleneck.expansion;
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = new BatchNorm2d(width);
    this.bn1.activation = 'relu';
    this.conv2 = conv3x3(width, width, stride, groups, dilation);
    this.bn2 = new BatchNorm2d(width);
    this.bn2.activation = 'relu';
    this.conv3 = conv1x1(width, out);
    this.bn3 = new BatchNorm2d(out);
    this.se = seModule(out, options.seReduction);
    this.relu = new ReLU();
    this.downsample = options.downsample ?? null;
    this.stochastic_depth = stochasticDepth(options.stochasticDepthProb);
    this.stride = stride;
    this.residual = options.residual ?? true;
  }

  forward(x: Tensor): Tensor {
    // The 1x1s sum their outputs' batch statistics while in cache (convForNorm).
    let out = convThenNorm(this.conv1, this.bn1, x);
    out = this.bn2.forward(this.conv2.forward(out));
    const { y, batchStats } = convForNorm(this.conv3, this.bn3, out);
    return residualTail(this, this.bn3, y, x, batchStats);
  }
}

export type ResNetBlock = typeof BasicBlock | typeof Bottleneck;

export interface ResNetOptions extends ModelOptions {
  /** Default 1000. */
  numClasses?: number;
  /** Input channels of conv1 (default 3; 1 for MNIST). */
  inChannels?: number;
  /** Zero the last BN of each residual branch so every block starts as the identity. */
  zeroInitResidual?: boolean;
  groups?: number;
  widthPerGroup?: number;
  /** Per stage 2-4: replace the stride-2 with dilation (torchvision's replace_stride_with_dilation). */
  replaceStrideWithDilation?: [boolean, boolean, boolean];
  /** 3x3 stride-1 conv1 and no maxpool, for 32x32 inputs; keys unchanged. */
  cifarStem?: boolean;
  /** SE-ResNet: a SqueezeExcitation `se` in every block after its last BN. */
  seBlock?: boolean;
  /** SE reduction ratio (default 16). */
  seReduction?: number;
  /** Stochastic depth: block l of L drops its branch with p * l / L (default 0). */
  stochasticDepthProb?: number;
}

/** torchvision's init: kaiming normal (fan_out, relu) convs, BN 1/0, Linear left at its default. */
export function initResNetWeights(model: Module, zeroInitResidual: boolean): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d)
      init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    }
  }
  // Each residual branch starts at zero, so each block starts as the identity (Goyal et al.).
  if (zeroInitResidual)
    for (const m of model.modules()) {
      if (m instanceof Bottleneck && m.bn3.weight) init.zeros_(m.bn3.weight);
      else if (m instanceof BasicBlock && m.bn2.weight) init.zeros_(m.bn2.weight);
    }
}

const RESNET_OPTIONS = [
  'numClasses',
  'inChannels',
  'zeroInitResidual',
  'groups',
  'widthPerGroup',
  'replaceStrideWithDilation',
  'cifarStem',
  'seBlock',
  'seReduction',
  'stochasticDepthProb',
] as const;

/** torchvision's ResNet: stem, four stages of blocks (layer1..layer4), global pool, fc. */
export class ResNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: Module;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly inChannels: number;
  private inplanes = 64;
  private dilation = 1;
  private blockIndex = 0;

  constructor(
    block: ResNetBlock,
    layers: readonly number[],
    options: ResNetOptions = {},
    readonly name = 'ResNet',
  ) {
    super();
    const op = name;
    checkOptionNames(op, options, RESNET_OPTIONS);
    if (!Array.isArray(layers) || layers.length !== 4)
      throw invalidRange(op, 'layers', 'four block counts, one per stage', layers);
    layers.forEach((n, i) => checkInt(op, `layers[${i}]`, n, 1));
    const numClasses = checkInt(op, 'numClasses', options.numClasses ?? 1000, 1);
    this.inChannels = checkInt(op, 'inChannels', options.inChannels ?? 3, 1);
    const groups = checkInt(op, 'groups', options.groups ?? 1, 1);
    const baseWidth = checkInt(op, 'widthPerGroup', options.widthPerGroup ?? 64, 1);
    const dilate = options.replaceStrideWithDilation ?? [false, false, false];
    if (!Array.isArray(dilate) || dilate.length !== 3)
      throw invalidRange(
        op,
        'replaceStrideWithDilation',
        'three booleans (stages 2, 3 and 4)',
        dilate,
      );
    const seReduction = options.seBlock
      ? checkInt(op, 'seReduction', options.seReduction ?? 16, 1)
      : null;
    const sdProb = probabilityOption(op, 'stochasticDepthProb', options.stochasticDepthProb, 0);
    const totalBlocks = layers.reduce((a, b) => a + b, 0);

    this.conv1 = options.cifarStem
      ? new Conv2d(this.inChannels, 64, 3, { stride: 1, padding: 1, bias: false })
      : new Conv2d(this.inChannels, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new BatchNorm2d(64);
    this.bn1.activation = 'relu';
    this.relu = new ReLU();
    this.maxpool = options.cifarStem ? new Identity() : new MaxPool2d(3, { stride: 2, padding: 1 });
    const stage = (planes: number, blocks: number, stride: number, dilateStage: boolean) =>
      this.makeLayer(block, planes, blocks, stride, dilateStage, {
        groups,
        baseWidth,
        seReduction,
        sd: (l: number) => (sdProb * l) / totalBlocks,
      });
    this.layer1 = stage(64, layers[0], 1, false);
    this.layer2 = stage(128, layers[1], 2, Boolean(dilate[0]));
    this.layer3 = stage(256, layers[2], 2, Boolean(dilate[1]));
    this.layer4 = stage(512, layers[3], 2, Boolean(dilate[2]));
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc = new Linear(512 * block.expansion, numClasses);
    initResNetWeights(this, options.zeroInitResidual ?? false);
  }

  /** torchvision's _make_layer: the first block takes the stride and the shortcut projection. */
  private makeLayer(
    block: ResNetBlock,
    planes: number,
    blocks: number,
    stride: number,
    dilate: boolean,
    common: {
      groups: number;
      baseWidth: number;
      seReduction: number | null;
      sd: (l: number) => number;
    },
  ): Sequential {
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    const out = planes * block.expansion;
    const downsample =
      stride !== 1 || this.inplanes !== out
        ? new Sequential(conv1x1(this.inplanes, out, stride), new BatchNorm2d(out))
        : null;
    const { groups, baseWidth, seReduction, sd } = common;
    const shared = { groups, baseWidth, seReduction };
    const layer = new Sequential(
      new block(this.inplanes, planes, {
        ...shared,
        stride,
        downsample,
        dilation: previousDilation,
        stochasticDepthProb: sd(++this.blockIndex),
      }),
    );
    this.inplanes = out;
    for (let i = 1; i < blocks; i++)
      layer.append(
        new block(this.inplanes, planes, {
          ...shared,
          dilation: this.dilation,
          stochasticDepthProb: sd(++this.blockIndex),
        }),
      );
    return layer;
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this.name, x, this.inChannels);
    let y = this.maxpool.forward(convThenNorm(this.conv1, this.bn1, x));
    y = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(y))));
    return this.fc.forward(F.flatten(this.avgpool.forward(y)));
  }
}

/** A sentence for the most common mistake: NCHW input, or the wrong channel count. */
export function checkImageInput(op: string, x: Tensor, inChannels: number): void {
  if (x.ndim !== 4 || x.shape[3] !== inChannels)
    throw new RangeError(
      `convkit.${op}: expected NHWC input [N, H, W, ${inChannels}] but received [${x.shape}]` +
        (x.ndim === 4 && x.shape[1] === inChannels ? ' (NCHW? permute to [N, H, W, C])' : ''),
    );
}

function resnet(
  name: string,
  block: ResNetBlock,
  layers: number[],
  options: ResNetOptions,
  preset: ResNetOptions = {},
): ResNet {
  return new ResNet(block, layers, { ...preset, ...options }, name);
}

type Builder = (options?: ResNetOptions) => ResNet;
const B = BasicBlock;
const N = Bottleneck;
const resnext = (groups: number, widthPerGroup: number) => ({ groups, widthPerGroup });
const wide = { widthPerGroup: 128 };
const se = { seBlock: true };

export const resnet18: Builder = (o = {}) => resnet('resnet18', B, [2, 2, 2, 2], o);
export const resnet34: Builder = (o = {}) => resnet('resnet34', B, [3, 4, 6, 3], o);
export const resnet50: Builder = (o = {}) => resnet('resnet50', N, [3, 4, 6, 3], o);
export const resnet101: Builder = (o = {}) => resnet('resnet101', N, [3, 4, 23, 3], o);
export const resnet152: Builder = (o = {}) => resnet('resnet152', N, [3, 8, 36, 3], o);
export const resnext50_32x4d: Builder = (o = {}) =>
  resnet('resnext50_32x4d', N, [3, 4, 6, 3], o, resnext(32, 4));
export const resnext101_32x8d: Builder = (o = {}) =>
  resnet('resnext101_32x8d', N, [3, 4, 23, 3], o, resnext(32, 8));
export const resnext101_64x4d: Builder = (o = {}) =>
  resnet('resnext101_64x4d', N, [3, 4, 23, 3], o, resnext(64, 4));
export const wide_resnet50_2: Builder = (o = {}) =>
  resnet('wide_resnet50_2', N, [3, 4, 6, 3], o, wide);
export const wide_resnet101_2: Builder = (o = {}) =>
  resnet('wide_resnet101_2', N, [3, 4, 23, 3], o, wide);
export const se_resnet18: Builder = (o = {}) => resnet('se_resnet18', B, [2, 2, 2, 2], o, se);
export const se_resnet34: Builder = (o = {}) => resnet('se_resnet34', B, [3, 4, 6, 3], o, se);
export const se_resnet50: Builder = (o = {}) => resnet('se_resnet50', N, [3, 4, 6, 3], o, se);
export const se_resnet101: Builder = (o = {}) => resnet('se_resnet101', N, [3, 4, 23, 3], o, se);
export const se_resnet152: Builder = (o = {}) => resnet('se_resnet152', N, [3, 8, 36, 3], o, se);
export const se_resnext50_32x4d: Builder = (o = {}) =>
  resnet('se_resnext50_32x4d', N, [3, 4, 6, 3], o, { ...se, ...resnext(32, 4) });

const table: Array<[string, Builder, string, string]> = [
  ['resnet18', resnet18, 'resnet', PAPERS.resnet],
  ['resnet34', resnet34, 'resnet', PAPERS.resnet],
  ['resnet50', resnet50, 'resnet', PAPERS.resnet],
  ['resnet101', resnet101, 'resnet', PAPERS.resnet],
  ['resnet152', resnet152, 'resnet', PAPERS.resnet],
  ['resnext50_32x4d', resnext50_32x4d, 'resnet', PAPERS.resnext],
  ['resnext101_32x8d', resnext101_32x8d, 'resnet', PAPERS.resnext],
  ['resnext101_64x4d', resnext101_64x4d, 'resnet', PAPERS.resnext],
  ['wide_resnet50_2', wide_resnet50_2, 'resnet', PAPERS.wide],
  ['wide_resnet101_2', wide_resnet101_2, 'resnet', PAPERS.wide],
  ['se_resnet18', se_resnet18, 'se-resnet', PAPERS.se],
  ['se_resnet34', se_resnet34, 'se-resnet', PAPERS.se],
  ['se_resnet50', se_resnet50, 'se-resnet', PAPERS.se],
  ['se_resnet101', se_resnet101, 'se-resnet', PAPERS.se],
  ['se_resnet152', se_resnet152, 'se-resnet', PAPERS.se],
  ['se_resnext50_32x4d', se_resnext50_32x4d, 'se-resnet', PAPERS.se],
];
for (const [name, create, family, paper] of table)
  registerModel({ name, family, inputSize: 224, inChannels: 3, paper, create });
