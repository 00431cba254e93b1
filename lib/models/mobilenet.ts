// MobileNetV1 (Howard et al. 2017) and MobileNetV2 (Sandler et al. 2018). V2 is torchvision
// 0.14's mobilenet_v2 exactly (keys, shapes, init). V1 is not in torchvision; its layout
// follows torchvision's style:
//   features.0                    Conv2dNormActivation(inChannels, 32, 3, stride 2) + ReLU
//   features.1 … features.13      DepthwiseSeparable: depthwise.{0: conv, 1: bn},
//                                 pointwise.{0: conv, 1: bn}, each followed by ReLU
//   classifier.{0: Dropout, 1: Linear}
// Convs without bias, BN affine: 4,231,976 parameters at widthMult 1 for 1000 classes.
// The MobileNetV3 family lives in mobilenet_v3.ts and shares makeDivisible and the init below.
import { checkInt, checkNumber, invalidRange } from '../check';
import * as nn from '../nn';
import { convForNorm } from '../nn/blocks/conv_norm_activation';
import { fusableActivation } from '../nn/blocks/fused_sequential';
import { Module } from '../nn/module';
import * as F from '../ops';
import type { Tensor } from '../tensor';
import { ModelOptions, registerModel } from './registry';

/**
 * torchvision's _make_divisible (from the TF-slim MobileNet code): rounds `v` to the nearest
 * multiple of `divisor`, at least `minValue`, and never more than 10% below `v`.
 */
export function makeDivisible(v: number, divisor: number, minValue: number = divisor): number {
  let rounded = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

/**
 * Checks a builder's options before anything is built: unknown names (e.g. PyTorch's
 * snake_case `width_mult`) are an error with a hint, numbers must be in range.
 */
export function checkModelOptions(op: string, options: ModelOptions, allowed: string[]): void {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`convkit.${op}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (allowed.includes(key) || options[key] === undefined) continue;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = allowed.includes(camel) ? `; did you mean ${camel}?` : '';
    throw new RangeError(
      `convkit.${op}: unknown option '${key}' (options are ${allowed.join(', ')})${hint}`,
    );
  }
  if (options.numClasses !== undefined) checkInt(op, 'numClasses', options.numClasses, 1);
  if (options.inChannels !== undefined) checkInt(op, 'inChannels', options.inChannels, 1);
  for (const name of ['widthMult', 'depthMult']) {
    const v = options[name];
    if (v !== undefined && !(checkNumber(op, name, v) > 0 && Number.isFinite(v)))
      throw invalidRange(op, name, 'a positive number', v);
  }
  for (const name of ['dropout', 'stochasticDepthProb']) {
    const v = options[name];
    if (v !== undefined && !(checkNumber(op, name, v) >= 0 && (v as number) <= 1))
      throw invalidRange(op, name, 'a probability in [0, 1]', v);
  }
}

/**
 * torchvision's MobileNet init: kaiming_normal_(fan_out) for convs with zero bias, BN weight 1
 * and bias 0, Linear weight normal(0, 0.01) with zero bias.
 */
export function initMobileNet(model: Module): void {
  for (const m of model.modules()) {
    if (m instanceof nn.Conv2d) {
      nn.init.kaimingNormal_(m.weight, { mode: 'fan_out' });
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.BatchNorm2d) {
      if (m.weight) nn.init.ones_(m.weight);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.Linear) {
      nn.init.normal_(m.weight, 0, 0.01);
      if (m.bias) nn.init.zeros_(m.bias);
    }
  }
}

/** Global average pool to [N, C] (NHWC [N, 1, 1, C] flattened). */
function globalPool(x: Tensor): Tensor {
  return F.flatten(F.adaptiveAvgPool2d(x, 1));
}

// ---------------------------------------------------------------------------------------------
// MobileNetV1

/**
 * MobileNetV1's depthwise separable convolution: 3x3 depthwise conv-BN-ReLU (stride on the
 * depthwise), then 1x1 pointwise conv-BN-ReLU. BN + ReLU run fused.
 */
export class DepthwiseSeparable extends Module {
  depthwise: nn.Conv2dNormActivation;
  pointwise: nn.Conv2dNormActivation;

  constructor(inp: number, oup: number, stride: number) {
    super();
    if (stride !== 1 && stride !== 2)
      throw new RangeError(`convkit.DepthwiseSeparable: stride should be 1 or 2, not ${stride}`);
    this.depthwise = new nn.Conv2dNormActivation(inp, inp, 3, { stride, groups: inp });
    this.pointwise = new nn.Conv2dNormActivation(inp, oup, 1);
  }

  forward(x: Tensor): Tensor {
    return this.pointwise.forward(this.depthwise.forward(x));
  }
}

/** Table 1 of the MobileNets paper: [output channels, stride] of the 13 separable blocks. */
const mobilenetV1Setting: Array<[number, number]> = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  // The paper's table prints s2 here, but its output stays 7x7: stride 1, as every
  // implementation (TF-slim, Keras) builds it.
  [1024, 1],
];

export interface MobileNetV1Options extends ModelOptions {
  /** The paper's width multiplier alpha (channels rounded by makeDivisible(c * alpha, 8)). */
  widthMult?: number;
  /** Dropout before the classifier's Linear (default 0: the paper uses little regularisation). */
  dropout?: number;
}

export class MobileNetV1 extends Module {
  features: nn.Sequential;
  classifier: nn.Sequential;

  constructor(options: MobileNetV1Options = {}) {
    super();
    checkModelOptions('mobilenet_v1', options, [
      'numClasses',
      'inChannels',
      'widthMult',
      'dropout',
    ]);
    const { numClasses = 1000, inChannels = 3, widthMult = 1, dropout = 0 } = options;
    let inp = makeDivisible(32 * widthMult, 8);
    const features: Module[] = [new nn.Conv2dNormActivation(inChannels, inp, 3, { stride: 2 })];
    for (const [c, s] of mobilenetV1Setting) {
      const oup = makeDivisible(c * widthMult, 8);
      features.push(new DepthwiseSeparable(inp, oup, s));
      inp = oup;
    }
    this.features = new nn.Sequential(...features);
    this.classifier = new nn.Sequential(new nn.Dropout(dropout), new nn.Linear(inp, numClasses));
    initMobileNet(this);
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(globalPool(this.features.forward(x)));
  }
}

export function mobilenet_v1(options: MobileNetV1Options = {}): MobileNetV1 {
  return new MobileNetV1(options);
}

// ---------------------------------------------------------------------------------------------
// MobileNetV2

/**
 * MobileNetV2's inverted residual with linear bottleneck, keys as torchvision's: `conv` is a
 * Sequential of [1x1 expand Conv2dNormActivation (only when expandRatio != 1)], 3x3 depthwise
 * Conv2dNormActivation (ReLU6), then a bare 1x1 Conv2d and BatchNorm2d (no activation).
 */
export class InvertedResidual extends Module {
  conv: nn.Sequential;
  readonly useResConnect: boolean;
  readonly outChannels: number;

  constructor(
    inp: number,
    oup: number,
    readonly stride: number,
    expandRatio: number,
    normLayer: (channels: number) => Module = (c) => new nn.BatchNorm2d(c),
  ) {
    super();
    if (stride !== 1 && stride !== 2)
      throw new RangeError(`convkit.InvertedResidual: stride should be 1 or 2, not ${stride}`);
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const relu6 = { normLayer, activationLayer: nn.ReLU6 };
    const layers: Module[] = [];
    if (expandRatio !== 1) layers.push(new nn.Conv2dNormActivation(inp, hidden, 1, relu6));
    layers.push(
      new nn.Conv2dNormActivation(hidden, hidden, 3, { ...relu6, stride, groups: hidden }),
      new nn.Conv2d(hidden, oup, 1, { bias: false }),
      normLayer(oup),
    );
    this.conv = new nn.Sequential(...layers);
    this.outChannels = oup;
  }

  forward(x: Tensor): Tensor {
    const projected = this.projected(x, null);
    if (projected) return projected;
    const layers = this.conv.children();
    const norm = layers[layers.length - 1];
    if (this.useResConnect && norm instanceof nn.BatchNorm2d && norm.activation === 'none') {
      // The skip is added in the last batch norm's normalisation pass (no separate add pass).
      return norm.forward(this.body(layers.slice(0, -1), x), x);
    }
    const out = this.body(layers, x);
    return this.useResConnect ? F.add(x, out) : out;
  }

  /**
   * forward(stem(x)) with the stem's norm inside this block's depthwise conv (MobileNetV2Features),
   * for a block without expansion (its first layer is the depthwise conv) or skip (the stem's
   * output is not kept); else null.
   */
  forwardFromStem(stem: nn.Conv2dNormActivation, x: Tensor): Tensor | null {
    const layers = this.conv.children();
    const first = layers[0];
    if (this.useResConnect || !(first instanceof nn.Conv2dNormActivation)) return null;
    const projected = this.projected(x, stem);
    if (projected) return projected;
    const joined = stem.forwardIntoDepthwise(first, x);
    return joined && this.body(layers.slice(1), joined);
  }

  /**
   * In training, the depthwise block's norm (ReLU6) inside the projection conv (F.conv2d's
   * inputNorm: its first backward pass runs inside the projection's data gradient) and the
   * projection's output statistics handed to the last norm (which adds the skip). The
   * expansion's norm, or `stem`'s (a block before this one without expansion: forwardFromStem),
   * joins the depthwise conv as in body(). Null unless the layers are [expansion?, depthwise,
   * Conv2d, BatchNorm2d] with fusable norms.
   */
  private projected(x: Tensor, stem: nn.Conv2dNormActivation | null): Tensor | null {
    const layers = this.conv.children();
    const n = layers.length;
    if (stem && n !== 3) return null;
    const [expansion, depthwise, projection, norm] = n === 4 ? layers : [stem, ...layers];
    if (
      !(depthwise instanceof nn.Conv2dNormActivation) ||
      !(projection instanceof nn.Conv2d) ||
      !(norm instanceof nn.BatchNorm2d) ||
      norm.activation !== 'none' ||
      !norm.training ||
      (n !== 3 && n !== 4) ||
      (expansion !== null && !(expansion instanceof nn.Conv2dNormActivation)) ||
      !fusableActivation(depthwise.children()[2])
    )
      return null;
    const before = expansion
      ? expansion.depthwiseConvOutput(depthwise, x)
      : depthwise.convOutput(x);
    if (!before) return null;
    const inputNorm = { ...before.norm.callOptions(), batchStats: before.batchStats };
    const { y, batchStats } = convForNorm(projection, norm, before.y, inputNorm);
    return norm.forwardWith(y, { residual: this.useResConnect ? x : undefined, batchStats });
  }

  /** The layers in order, the expansion applied inside the depthwise conv where that fuses. */
  private body(layers: readonly Module[], x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < layers.length; i++) {
      const [layer, next] = [layers[i], layers[i + 1]];
      if (layer instanceof nn.Conv2dNormActivation && next instanceof nn.Conv2dNormActivation) {
        const fused = layer.forwardIntoDepthwise(next, h);
        if (fused) {
          h = fused;
          i++;
          continue;
        }
      }
      h = layer.forward(h);
    }
    return h;
  }
}

/**
 * MobileNetV2's `features`: an nn.Sequential (same keys, same layers) whose stem runs inside the
 * first block in training (InvertedResidual.forwardFromStem): the stem's norm joins that block's
 * depthwise conv (Conv2dNormActivation.forwardIntoDepthwise: the depthwise kernels normalise
 * the stem's output a few rows at a time in cache, and the norm's first backward pass runs
 * inside the conv's data gradient), as later blocks' expansion norms do. The stem's output is
 * 16 x 112 x 112 x 32 at batch 16: a write and two reads of 26 MB less in the forward, a read
 * less in the backward; the step ~1.5% faster (eight alternating runs: median 188.4 -> 185.4
 * ms). (EfficientNet's SiLU stem stores its output anyway: no gain measured there.)
 */
class MobileNetV2Features extends nn.Sequential {
  override forward(x: Tensor): Tensor {
    const [stem, first, ...rest] = this.children();
    const joined =
      stem instanceof nn.Conv2dNormActivation && first instanceof InvertedResidual
        ? first.forwardFromStem(stem, x)
        : null;
    if (!joined) return super.forward(x);
    let h = joined;
    for (const layer of rest) h = layer.forward(h);
    return h;
  }
}

/** MobileNetV2's table 2: expansion t, output channels c, repeats n, first stride s. */
const mobilenetV2Setting: Array<[number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

export interface MobileNetV2Options extends ModelOptions {
  widthMult?: number;
  /** Channels are rounded to multiples of this (1 turns rounding off). Default 8. */
  roundNearest?: number;
  dropout?: number;
}

export class MobileNetV2 extends Module {
  features: nn.Sequential;
  classifier: nn.Sequential;
  readonly lastChannel: number;

  constructor(options: MobileNetV2Options = {}) {
    super();
    const op = 'mobilenet_v2';
    checkModelOptions(op, options, [
      'numClasses',
      'inChannels',
      'widthMult',
      'roundNearest',
      'dropout',
    ]);
    const { numClasses = 1000, inChannels = 3, widthMult = 1, dropout = 0.2 } = options;
    const roundNearest = checkInt(op, 'roundNearest', options.roundNearest ?? 8, 1);
    let inp = makeDivisible(32 * widthMult, roundNearest);
    this.lastChannel = makeDivisible(1280 * Math.max(1, widthMult), roundNearest);
    const relu6 = { activationLayer: nn.ReLU6 };
    const features: Module[] = [
      new nn.Conv2dNormActivation(inChannels, inp, 3, { ...relu6, stride: 2 }),
    ];
    for (const [t, c, n, s] of mobilenetV2Setting) {
      const oup = makeDivisible(c * widthMult, roundNearest);
      for (let i = 0; i < n; i++) {
        features.push(new InvertedResidual(inp, oup, i === 0 ? s : 1, t));
        inp = oup;
      }
    }
    features.push(new nn.Conv2dNormActivation(inp, this.lastChannel, 1, relu6));
    this.features = new MobileNetV2Features(...features);
    this.classifier = new nn.Sequential(
      new nn.Dropout(dropout),
      new nn.Linear(this.lastChannel, numClasses),
    );
    initMobileNet(this);
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(globalPool(this.features.forward(x)));
  }
}

export function mobilenet_v2(options: MobileNetV2Options = {}): MobileNetV2 {
  return new MobileNetV2(options);
}

registerModel({
  name: 'mobilenet_v1',
  family: 'mobilenet',
  inputSize: 224,
  inChannels: 3,
  paper:
    'MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications (Howard et al. 2017)',
  create: mobilenet_v1,
});

registerModel({
  name: 'mobilenet_v2',
  family: 'mobilenet',
  inputSize: 224,
  inChannels: 3,
  paper: 'MobileNetV2: Inverted Residuals and Linear Bottlenecks (Sandler et al. 2018)',
  create: mobilenet_v2,
});
