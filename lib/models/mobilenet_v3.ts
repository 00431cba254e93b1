// MobileNetV3 (Howard et al. 2019, "Searching for MobileNetV3"), torchvision 0.14's
// mobilenet_v3_large and mobilenet_v3_small exactly: keys, shapes, BN eps 1e-3 / momentum 0.01,
// init. Blocks: expand 1x1 / depthwise kxk / SqueezeExcitation (ReLU, Hardsigmoid scale) /
// project 1x1, as a Sequential named `block`.
import * as nn from '../nn';
import { Module } from '../nn/module';
import * as F from '../ops';
import type { Tensor } from '../tensor';
import { checkModelOptions, initMobileNet, makeDivisible } from './mobilenet';
import { ModelOptions, registerModel } from './registry';

/** One row of the paper's tables 1 and 2 (torchvision's InvertedResidualConfig). */
export interface InvertedResidualV3Config {
  inputChannels: number;
  kernel: number;
  expandedChannels: number;
  outChannels: number;
  useSe: boolean;
  /** 'RE' ReLU or 'HS' hard-swish. */
  activation: 'RE' | 'HS';
  stride: number;
  dilation: number;
}

const bnV3 = (c: number): Module => new nn.BatchNorm2d(c, { eps: 0.001, momentum: 0.01 });

/**
 * MobileNetV3's bottleneck (torchvision's mobilenetv3.InvertedResidual). `block` holds
 * [expand Conv2dNormActivation when expandedChannels != inputChannels], the depthwise
 * Conv2dNormActivation, [SqueezeExcitation with squeeze channels makeDivisible(c / 4, 8) and a
 * Hardsigmoid scale], and the project Conv2dNormActivation without activation.
 */
export class InvertedResidualV3 extends Module {
  block: nn.Sequential;
  readonly useResConnect: boolean;
  readonly outChannels: number;

  constructor(cnf: InvertedResidualV3Config, normLayer: (channels: number) => Module = bnV3) {
    super();
    if (cnf.stride !== 1 && cnf.stride !== 2)
      throw new RangeError(
        `convkit.InvertedResidualV3: stride should be 1 or 2, not ${cnf.stride}`,
      );
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const activationLayer = cnf.activation === 'HS' ? nn.Hardswish : nn.ReLU;
    const exp = cnf.expandedChannels;
    const layers: Module[] = [];
    if (exp !== cnf.inputChannels)
      layers.push(
        new nn.Conv2dNormActivation(cnf.inputChannels, exp, 1, { normLayer, activationLayer }),
      );
    layers.push(
      new nn.Conv2dNormActivation(exp, exp, cnf.kernel, {
        stride: cnf.dilation > 1 ? 1 : cnf.stride,
        dilation: cnf.dilation,
        groups: exp,
        normLayer,
        activationLayer,
      }),
    );
    if (cnf.useSe)
      layers.push(
        new nn.SqueezeExcitation(exp, makeDivisible(Math.floor(exp / 4), 8), {
          scaleActivation: nn.Hardsigmoid,
        }),
      );
    layers.push(
      new nn.Conv2dNormActivation(exp, cnf.outChannels, 1, { normLayer, activationLayer: null }),
    );
    this.block = new nn.Sequential(...layers);
    this.outChannels = cnf.outChannels;
  }

  forward(x: Tensor): Tensor {
    const out = this.block.forward(x);
    return this.useResConnect ? F.add(out, x) : out;
  }
}

type Row = [number, number, number, number, boolean, 'RE' | 'HS', number];

// input, kernel, expanded, out, SE, activation, stride (tables 1 and 2 of the paper). The last
// stage (C4) is divided by 2 with reducedTail and dilated with dilated, as torchvision.
const large: Row[] = [
  [16, 3, 16, 16, false, 'RE', 1],
  [16, 3, 64, 24, false, 'RE', 2],
  [24, 3, 72, 24, false, 'RE', 1],
  [24, 5, 72, 40, true, 'RE', 2],
  [40, 5, 120, 40, true, 'RE', 1],
  [40, 5, 120, 40, true, 'RE', 1],
  [40, 3, 240, 80, false, 'HS', 2],
  [80, 3, 200, 80, false, 'HS', 1],
  [80, 3, 184, 80, false, 'HS', 1],
  [80, 3, 184, 80, false, 'HS', 1],
  [80, 3, 480, 112, true, 'HS', 1],
  [112, 3, 672, 112, true, 'HS', 1],
  [112, 5, 672, 160, true, 'HS', 2],
  [160, 5, 960, 160, true, 'HS', 1],
  [160, 5, 960, 160, true, 'HS', 1],
];
const small: Row[] = [
  [16, 3, 16, 16, true, 'RE', 2],
  [16, 3, 72, 24, false, 'RE', 2],
  [24, 3, 88, 24, false, 'RE', 1],
  [24, 5, 96, 40, true, 'HS', 2],
  [40, 5, 240, 40, true, 'HS', 1],
  [40, 5, 240, 40, true, 'HS', 1],
  [40, 5, 120, 48, true, 'HS', 1],
  [48, 5, 144, 48, true, 'HS', 1],
  [48, 5, 288, 96, true, 'HS', 2],
  [96, 5, 576, 96, true, 'HS', 1],
  [96, 5, 576, 96, true, 'HS', 1],
];
/** Rows from which the C4 stage starts (its channels reduced / dilated on request). */
const tail = {
  large: { rows: large, from: 12, lastChannel: 1280 },
  small: { rows: small, from: 8, lastChannel: 1024 },
};

export interface MobileNetV3Options extends ModelOptions {
  widthMult?: number;
  dropout?: number;
  /** Halves the channels of the last stage (torchvision's reduced_tail, for detection). */
  reducedTail?: boolean;
  /** Dilation 2 instead of stride 2 in the last stage (torchvision's dilated, segmentation). */
  dilated?: boolean;
}

/** torchvision's _mobilenet_v3_conf: the block configs and the classifier's hidden width. */
export function mobilenetV3Config(
  arch: 'large' | 'small',
  widthMult = 1,
  reducedTail = false,
  dilated = false,
): { setting: InvertedResidualV3Config[]; lastChannel: number } {
  const adjust = (c: number): number => makeDivisible(c * widthMult, 8);
  const div = reducedTail ? 2 : 1;
  const { rows, from, lastChannel } = tail[arch];
  const setting = rows.map(([i, k, e, o, se, act, s], index): InvertedResidualV3Config => {
    // In the tail, every channel count but the first block's input is divided.
    const inTail = index >= from;
    const reduce = (c: number, first: boolean): number =>
      inTail && !first ? Math.floor(c / div) : c;
    return {
      inputChannels: adjust(reduce(i, index === from)),
      kernel: k,
      expandedChannels: adjust(reduce(e, index === from)),
      outChannels: adjust(reduce(o, false)),
      useSe: se,
      activation: act,
      stride: s,
      dilation: inTail && dilated ? 2 : 1,
    };
  });
  return { setting, lastChannel: adjust(Math.floor(lastChannel / div)) };
}

export class MobileNetV3 extends Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(
    setting: InvertedResidualV3Config[],
    lastChannel: number,
    options: { numClasses?: number; inChannels?: number; dropout?: number } = {},
  ) {
    super();
    if (!setting.length)
      throw new RangeError(
        'convkit.MobileNetV3: the inverted residual setting should not be empty',
      );
    const { numClasses = 1000, inChannels = 3, dropout = 0.2 } = options;
    const layers: Module[] = [
      new nn.Conv2dNormActivation(inChannels, setting[0].inputChannels, 3, {
        stride: 2,
        normLayer: bnV3,
        activationLayer: nn.Hardswish,
      }),
    ];
    for (const cnf of setting) layers.push(new InvertedResidualV3(cnf, bnV3));
    const lastIn = setting[setting.length - 1].outChannels;
    const lastOut = 6 * lastIn;
    layers.push(
      new nn.Conv2dNormActivation(lastIn, lastOut, 1, {
        normLayer: bnV3,
        activationLayer: nn.Hardswish,
      }),
    );
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(
      new nn.Linear(lastOut, lastChannel),
      new nn.Hardswish(),
      new nn.Dropout(dropout),
      new nn.Linear(lastChannel, numClasses),
    );
    initMobileNet(this);
  }

  forward(x: Tensor): Tensor {
    const pooled = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(F.flatten(pooled));
  }
}

function mobilenetV3(arch: 'large' | 'small', options: MobileNetV3Options): MobileNetV3 {
  const op = `mobilenet_v3_${arch}`;
  checkModelOptions(op, options, [
    'numClasses',
    'inChannels',
    'widthMult',
    'dropout',
    'reducedTail',
    'dilated',
  ]);
  const { widthMult = 1, reducedTail = false, dilated = false, ...rest } = options;
  const { setting, lastChannel } = mobilenetV3Config(arch, widthMult, reducedTail, dilated);
  return new MobileNetV3(setting, lastChannel, rest);
}

export const mobilenet_v3_large = (options: MobileNetV3Options = {}): MobileNetV3 =>
  mobilenetV3('large', options);
export const mobilenet_v3_small = (options: MobileNetV3Options = {}): MobileNetV3 =>
  mobilenetV3('small', options);

const paper = 'Searching for MobileNetV3 (Howard et al. 2019)';
registerModel({
  name: 'mobilenet_v3_large',
  family: 'mobilenet',
  inputSize: 224,
  inChannels: 3,
  paper,
  create: mobilenet_v3_large,
});
registerModel({
  name: 'mobilenet_v3_small',
  family: 'mobilenet',
  inputSize: 224,
  inChannels: 3,
  paper,
  create: mobilenet_v3_small,
});
