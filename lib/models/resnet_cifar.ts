// The CIFAR-10 ResNets of He et al. 2015, §4.2: a 3x3 conv with 16 channels, three stages of n
// BasicBlocks with 16/32/64 channels (depth 6n+2), global average pool, fc. Shortcuts are
// option A (parameter-free: stride-2 subsampling plus zero channels), so resnet20/32/44/56/110
// have exactly the paper's 0.27M/0.46M/0.66M/0.85M/1.7M parameters. plain20 ... plain110 are the
// same nets without skip connections (the degradation experiment, Fig. 6 left).
import { checkInt, invalidRange } from '../check';
import * as F from '../ops';
import type { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { ReLU } from '../nn/layers/activation';
import { Conv2d } from '../nn/layers/conv';
import { Sequential } from '../nn/layers/containers';
import { Linear } from '../nn/layers/linear';
import { BatchNorm2d } from '../nn/layers/norm';
import { AdaptiveAvgPool2d } from '../nn/layers/pooling';
import { BasicBlock, checkImageInput, conv1x1, initResNetWeights, PAPERS } from './resnet';
import { checkOptionNames, probabilityOption } from './builder_utils';
import { ModelOptions, registerModel } from './registry';

/**
 * Option A shortcut: x[:, ::stride, ::stride, :] with zero channels added on both sides
 * (as the reference implementations pad planes/4 before and after). No parameters.
 */
export class PadShortcut extends Module {
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly stride: number,
  ) {
    super();
    if (outChannels < inChannels)
      throw new RangeError(
        `convkit.PadShortcut: the option A shortcut only adds channels (${inChannels} -> ${outChannels})`,
      );
  }

  forward(x: Tensor): Tensor {
    // A 1x1 average pool with stride s is exactly the subsampling x[::s, ::s].
    const y = this.stride > 1 ? F.avgPool2d(x, { kernelSize: 1, stride: this.stride }) : x;
    const extra = this.outChannels - this.inChannels;
    if (extra === 0) return y;
    const before = Math.floor(extra / 2);
    return F.pad(y, [
      [0, 0],
      [0, 0],
      [0, 0],
      [before, extra - before],
    ]);
  }
}

export interface CifarResNetOptions extends ModelOptions {
  /** Default 10. */
  numClasses?: number;
  inChannels?: number;
  /** 'A' (default): parameter-free shortcuts as the paper's CIFAR nets; 'B': conv1x1 + BN. */
  shortcut?: 'A' | 'B';
  /** false: the plain net, no skip connections. */
  residual?: boolean;
  zeroInitResidual?: boolean;
  stochasticDepthProb?: number;
  /** Channels of the three stages (default [16, 32, 64]). */
  widths?: [number, number, number];
}

const CIFAR_OPTIONS = [
  'numClasses',
  'inChannels',
  'shortcut',
  'residual',
  'zeroInitResidual',
  'stochasticDepthProb',
  'widths',
] as const;

/** The 6n+2-layer CIFAR ResNet (and its plain twin with residual: false). */
export class CifarResNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly inChannels: number;

  constructor(
    readonly depth: number,
    options: CifarResNetOptions = {},
    readonly name = `CifarResNet${depth}`,
  ) {
    super();
    const op = name;
    checkOptionNames(op, options, CIFAR_OPTIONS);
    checkInt(op, 'depth', depth, 8);
    if ((depth - 2) % 6 !== 0)
      throw new RangeError(
        `convkit.${op}: a CIFAR ResNet has depth 6n+2 (20, 32, 44, 56, 110, 1202) but received ${depth}`,
      );
    const n = (depth - 2) / 6;
    const numClasses = checkInt(op, 'numClasses', options.numClasses ?? 10, 1);
    this.inChannels = checkInt(op, 'inChannels', options.inChannels ?? 3, 1);
    const shortcut = options.shortcut ?? 'A';
    if (shortcut !== 'A' && shortcut !== 'B')
      throw invalidRange(op, 'shortcut', "'A' (zero-padding) or 'B' (projection)", shortcut);
    const residual = options.residual ?? true;
    if (!residual && options.zeroInitResidual)
      throw new RangeError(
        `convkit.${op}: zeroInitResidual would zero every block of a plain net (residual: false)`,
      );
    const widths = options.widths ?? [16, 32, 64];
    if (!Array.isArray(widths) || widths.length !== 3)
      throw invalidRange(op, 'widths', 'three channel counts', widths);
    widths.forEach((w, i) => checkInt(op, `widths[${i}]`, w, 1));
    const sdProb = probabilityOption(op, 'stochasticDepthProb', options.stochasticDepthProb, 0);

    this.conv1 = new Conv2d(this.inChannels, widths[0], 3, { padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(widths[0]);
    this.bn1.activation = 'relu';
    this.relu = new ReLU();
    let inplanes = widths[0];
    let index = 0;
    const stage = (planes: number, stride: number): Sequential => {
      const layer = new Sequential();
      for (let i = 0; i < n; i++) {
        const s = i === 0 ? stride : 1;
        let downsample: Module | null = null;
        if (residual && (s !== 1 || inplanes !== planes))
          downsample =
            shortcut === 'A'
              ? new PadShortcut(inplanes, planes, s)
              : new Sequential(conv1x1(inplanes, planes, s), new BatchNorm2d(planes));
        layer.append(
          new BasicBlock(inplanes, planes, {
            stride: s,
            downsample,
            residual,
            stochasticDepthProb: (sdProb * ++index) / (3 * n),
          }),
        );
        inplanes = planes;
      }
      return layer;
    };
    this.layer1 = stage(widths[0], 1);
    this.layer2 = stage(widths[1], 2);
    this.layer3 = stage(widths[2], 2);
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc = new Linear(widths[2], numClasses);
    initResNetWeights(this, options.zeroInitResidual ?? false);
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this.name, x, this.inChannels);
    let y = this.bn1.forward(this.conv1.forward(x));
    y = this.layer3.forward(this.layer2.forward(this.layer1.forward(y)));
    return this.fc.forward(F.flatten(this.avgpool.forward(y)));
  }
}

type Builder = (options?: CifarResNetOptions) => CifarResNet;
const cifar = (name: string, depth: number, o: CifarResNetOptions, preset = {}) =>
  new CifarResNet(depth, { ...preset, ...o }, name);
const plain = { residual: false };

export const resnet20: Builder = (o = {}) => cifar('resnet20', 20, o);
export const resnet32: Builder = (o = {}) => cifar('resnet32', 32, o);
export const resnet44: Builder = (o = {}) => cifar('resnet44', 44, o);
export const resnet56: Builder = (o = {}) => cifar('resnet56', 56, o);
export const resnet110: Builder = (o = {}) => cifar('resnet110', 110, o);
export const resnet1202: Builder = (o = {}) => cifar('resnet1202', 1202, o);
export const plain20: Builder = (o = {}) => cifar('plain20', 20, o, plain);
export const plain32: Builder = (o = {}) => cifar('plain32', 32, o, plain);
export const plain44: Builder = (o = {}) => cifar('plain44', 44, o, plain);
export const plain56: Builder = (o = {}) => cifar('plain56', 56, o, plain);
export const plain110: Builder = (o = {}) => cifar('plain110', 110, o, plain);

const table: Array<[string, Builder]> = [
  ['resnet20', resnet20],
  ['resnet32', resnet32],
  ['resnet44', resnet44],
  ['resnet56', resnet56],
  ['resnet110', resnet110],
  ['resnet1202', resnet1202],
  ['plain20', plain20],
  ['plain32', plain32],
  ['plain44', plain44],
  ['plain56', plain56],
  ['plain110', plain110],
];
for (const [name, create] of table)
  registerModel({
    name,
    family: 'resnet-cifar',
    inputSize: 32,
    inChannels: 3,
    paper: PAPERS.resnet,
    create,
  });
