// EfficientNet B0-B7 (Tan & Le 2019), torchvision 0.14's efficientnet_b0 … efficientnet_b7
// exactly: keys features.N.M.block.K, shapes, init, stochastic depth growing linearly with the
// block index, BatchNorm eps 1e-5 / momentum 0.1 for B0-B4 and eps 1e-3 / momentum 0.01 for
// B5-B7 (as torchvision 0.14 builds them).
//
// Compound scaling. The paper scales B0 by one coefficient phi: depth d = alpha^phi, width
// w = beta^phi, resolution r = gamma^phi, with alpha * beta^2 * gamma^2 ~ 2 (FLOPs ~ 2^phi) and
// alpha = 1.2, beta = 1.1, gamma = 1.15 from a grid search on B0. `efficientnet({ phi })` builds
// exactly that. The published B1-B7 (and torchvision's names) use hand-rounded multipliers:
//
//   name   width  depth  resolution  dropout     efficientnet({ phi }) for comparison
//   b0     1.0    1.0    224         0.2         phi 0: 1.00  1.00  224
//   b1     1.0    1.1    240         0.2         phi 1: 1.10  1.20  258
//   b2     1.1    1.2    260         0.3         phi 2: 1.21  1.44  296
//   b3     1.2    1.4    300         0.3         phi 3: 1.33  1.73  341
//   b4     1.4    1.8    380         0.4
//   b5     1.6    2.2    456         0.4
//   b6     1.8    2.6    528         0.5
//   b7     2.0    3.1    600         0.5
import { checkNumber, invalidRange } from '../check';
import * as nn from '../nn';
import { Module } from '../nn/module';
import * as F from '../ops';
import type { Tensor } from '../tensor';
import { checkModelOptions, makeDivisible } from './mobilenet';
import { ModelOptions, registerModel } from './registry';

/** torchvision's MBConvConfig after width/depth adjustment (one row = one stage). */
export interface MBConvConfig {
  expandRatio: number;
  kernel: number;
  stride: number;
  inputChannels: number;
  outChannels: number;
  numLayers: number;
}

export const adjustChannels = (channels: number, widthMult: number): number =>
  makeDivisible(channels * widthMult, 8);
export const adjustDepth = (numLayers: number, depthMult: number): number =>
  Math.ceil(numLayers * depthMult);

/** B0's stages: expand ratio, kernel, stride, input channels, output channels, layers. */
const b0: Array<[number, number, number, number, number, number]> = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

/** The stage table of B0 scaled by width and depth multipliers, as torchvision's. */
export function efficientnetConfig(widthMult: number, depthMult: number): MBConvConfig[] {
  return b0.map(([expandRatio, kernel, stride, inp, out, layers]) => ({
    expandRatio,
    kernel,
    stride,
    inputChannels: adjustChannels(inp, widthMult),
    outChannels: adjustChannels(out, widthMult),
    numLayers: adjustDepth(layers, depthMult),
  }));
}

type NormLayer = (channels: number) => Module;
const defaultNorm: NormLayer = (c) => new nn.BatchNorm2d(c);

/**
 * Mobile inverted bottleneck with squeeze-and-excitation (torchvision's MBConv). `block` holds
 * [1x1 expand Conv2dNormActivation + SiLU, when the expanded width differs], the depthwise
 * Conv2dNormActivation + SiLU, SqueezeExcitation (squeeze max(1, input / 4), SiLU, Sigmoid
 * scale) and the 1x1 project Conv2dNormActivation without activation. With a residual, the
 * branch passes StochasticDepth('row') before the add.
 */
export class MBConv extends Module {
  block: nn.Sequential;
  stochastic_depth: nn.StochasticDepth;
  readonly useResConnect: boolean;
  readonly outChannels: number;

  constructor(cnf: MBConvConfig, stochasticDepthProb: number, normLayer: NormLayer = defaultNorm) {
    super();
    if (cnf.stride !== 1 && cnf.stride !== 2)
      throw new RangeError(`convkit.MBConv: stride should be 1 or 2, not ${cnf.stride}`);
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const activationLayer = nn.SiLU;
    const expanded = adjustChannels(cnf.inputChannels, cnf.expandRatio);
    const layers: Module[] = [];
    if (expanded !== cnf.inputChannels)
      layers.push(
        new nn.Conv2dNormActivation(cnf.inputChannels, expanded, 1, { normLayer, activationLayer }),
      );
    layers.push(
      new nn.Conv2dNormActivation(expanded, expanded, cnf.kernel, {
        stride: cnf.stride,
        groups: expanded,
        normLayer,
        activationLayer,
      }),
      new nn.SqueezeExcitation(expanded, Math.max(1, Math.floor(cnf.inputChannels / 4)), {
        activation: nn.SiLU,
      }),
      new nn.Conv2dNormActivation(expanded, cnf.outChannels, 1, {
        normLayer,
        activationLayer: null,
      }),
    );
    this.block = new nn.Sequential(...layers);
    this.stochastic_depth = new nn.StochasticDepth(stochasticDepthProb, 'row');
    this.outChannels = cnf.outChannels;
  }

  forward(x: Tensor): Tensor {
    const out = this.branch(x);
    return this.useResConnect ? F.add(this.stochastic_depth.forward(out), x) : out;
  }

  /**
   * The block's layers in order, with the depthwise norm and the squeeze-and-excitation in
   * one op where they fuse (Conv2dNormActivation.forwardExcited: the unscaled activation is
   * never stored).
   */
  private branch(x: Tensor): Tensor {
    const layers = this.block.children();
    let out = x;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      const [next, se] = [layers[i + 1], layers[i + 2]];
      // The expansion's norm joins the depthwise conv (forwardIntoDepthwise), with the
      // excitation on the depthwise norm as below.
      if (
        layer instanceof nn.Conv2dNormActivation &&
        next instanceof nn.Conv2dNormActivation &&
        se instanceof nn.SqueezeExcitation
      ) {
        const joined = layer.forwardIntoDepthwise(next, out, (pooled) => se.scaleOfPooled(pooled));
        if (joined) {
          out = joined;
          i += 2;
          continue;
        }
      }
      if (layer instanceof nn.Conv2dNormActivation && next instanceof nn.SqueezeExcitation) {
        const excited = layer.forwardExcited(out, (pooled) => next.scaleOfPooled(pooled));
        if (excited) {
          out = excited;
          i++;
          continue;
        }
      }
      out = layer.forward(out);
    }
    return out;
  }
}

export interface EfficientNetOptions extends ModelOptions {
  dropout?: number;
  /** Drop probability of the last block; block i of n uses p * i / n. Default 0.2. */
  stochasticDepthProb?: number;
}

export class EfficientNet extends Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(
    setting: MBConvConfig[],
    options: EfficientNetOptions & { normLayer?: NormLayer; lastChannel?: number } = {},
  ) {
    super();
    if (!setting.length)
      throw new RangeError(
        'convkit.EfficientNet: the inverted residual setting should not be empty',
      );
    const {
      numClasses = 1000,
      inChannels = 3,
      dropout = 0.2,
      stochasticDepthProb = 0.2,
      normLayer = defaultNorm,
    } = options;
    const layers: Module[] = [
      new nn.Conv2dNormActivation(inChannels, setting[0].inputChannels, 3, {
        stride: 2,
        normLayer,
        activationLayer: nn.SiLU,
      }),
    ];
    const totalBlocks = setting.reduce((n, cnf) => n + cnf.numLayers, 0);
    let blockId = 0;
    for (const cnf of setting) {
      const stage: Module[] = [];
      for (let i = 0; i < cnf.numLayers; i++) {
        // Later blocks of a stage take the stage's output width at stride 1.
        const blockCnf = i ? { ...cnf, inputChannels: cnf.outChannels, stride: 1 } : cnf;
        const p = (stochasticDepthProb * blockId) / totalBlocks;
        stage.push(new MBConv(blockCnf, p, normLayer));
        blockId++;
      }
      layers.push(new nn.Sequential(...stage));
    }
    const lastIn = setting[setting.length - 1].outChannels;
    const lastOut = options.lastChannel ?? 4 * lastIn;
    layers.push(
      new nn.Conv2dNormActivation(lastIn, lastOut, 1, { normLayer, activationLayer: nn.SiLU }),
    );
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(
      new nn.Dropout(dropout),
      new nn.Linear(lastOut, numClasses),
    );

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.BatchNorm2d) {
        if (m.weight) nn.init.ones_(m.weight);
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Linear) {
        const range = 1 / Math.sqrt(m.outFeatures);
        nn.init.uniform_(m.weight, -range, range);
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
  }

  forward(x: Tensor): Tensor {
    const pooled = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(F.flatten(pooled));
  }
}

const optionNames = ['numClasses', 'inChannels', 'dropout', 'stochasticDepthProb'];

/** torchvision's _efficientnet: B0's table scaled, options over the variant's dropout. */
function buildEfficientNet(
  op: string,
  widthMult: number,
  depthMult: number,
  defaults: { dropout: number; bnEps?: number; bnMomentum?: number },
  options: EfficientNetOptions,
): EfficientNet {
  checkModelOptions(op, options, optionNames);
  const { bnEps, bnMomentum } = defaults;
  const normLayer: NormLayer | undefined =
    bnEps === undefined
      ? undefined
      : (c) => new nn.BatchNorm2d(c, { eps: bnEps, momentum: bnMomentum });
  return new EfficientNet(efficientnetConfig(widthMult, depthMult), {
    dropout: defaults.dropout,
    ...options,
    normLayer,
  });
}

// B5-B7 use BatchNorm2d(eps=0.001, momentum=0.01) in torchvision 0.14 (B0-B4 the defaults).
const tfBn = { bnEps: 0.001, bnMomentum: 0.01 };

export const efficientnet_b0 = (o: EfficientNetOptions = {}): EfficientNet =>
  buildEfficientNet('efficientnet_b0', 1.0, 1.0, { dropout: 0.2 }, o);
export const efficientnet_b1 = (o: EfficientNetOptions = {}): EfficientNet =>
  buildEfficientNet('efficientnet_b1', 1.0, 1.1, { dropout: 0.2 }, o);
export const efficientnet_b2 = (o: EfficientNetOptions = {}): EfficientNet =>
  buildEfficientNet('efficientnet_b2', 1.1, 1.2, { dropout: 0.3 }, o);
export const efficientnet_b3 = (o: EfficientNetOptions = {}): EfficientNet =>
  buildEfficientNet('efficientnet_b3', 1.2, 1.4, { dropout: 0.3 }, o);
export const efficientnet_b4 = (o: EfficientNetOptions = {}): EfficientNet =>
  buildEfficientNet('efficientnet_b4', 1.4, 1.8, { dropout: 0.4 }, o);
export const efficientnet_b5 = (o: EfficientNetOptions = {}): EfficientNet =>
  buildEfficientNet('efficientnet_b5', 1.6, 2.2, { dropout: 0.4, ...tfBn }, o);
export const efficientnet_b6 = (o: EfficientNetOptions = {}): EfficientNet =>
  buildEfficientNet('efficientnet_b6', 1.8, 2.6, { dropout: 0.5, ...tfBn }, o);
export const efficientnet_b7 = (o: EfficientNetOptions = {}): EfficientNet =>
  buildEfficientNet('efficientnet_b7', 2.0, 3.1, { dropout: 0.5, ...tfBn }, o);

export interface CompoundScaling {
  depthMult: number;
  widthMult: number;
  /** Input resolution 224 * gamma^phi, rounded to an integer. */
  resolution: number;
}

/** The paper's compound scaling of B0: depth alpha^phi, width beta^phi, resolution gamma^phi. */
export function compoundScaling(
  phi: number,
  coefficients: { alpha?: number; beta?: number; gamma?: number } = {},
): CompoundScaling {
  const op = 'efficientnet';
  const { alpha = 1.2, beta = 1.1, gamma = 1.15 } = coefficients;
  if (!(checkNumber(op, 'phi', phi) >= 0 && Number.isFinite(phi)))
    throw invalidRange(op, 'phi', 'a finite number >= 0', phi);
  for (const [name, v] of Object.entries({ alpha, beta, gamma }))
    if (!(checkNumber(op, name, v) >= 1 && Number.isFinite(v)))
      throw invalidRange(op, name, 'a finite number >= 1 (a scaling coefficient)', v);
  return {
    depthMult: alpha ** phi,
    widthMult: beta ** phi,
    resolution: Math.round(224 * gamma ** phi),
  };
}

export interface CompoundEfficientNetOptions extends EfficientNetOptions {
  phi: number;
  alpha?: number;
  beta?: number;
  gamma?: number;
}

/**
 * EfficientNet scaled from B0 by the compound coefficient phi (not torchvision's B1-B7, which
 * use the rounded table above). Train and evaluate it at compoundScaling(phi).resolution.
 */
export function efficientnet(options: CompoundEfficientNetOptions): EfficientNet {
  const op = 'efficientnet';
  if (options === null || typeof options !== 'object' || options.phi === undefined)
    throw new TypeError(
      `convkit.${op}: expected options with a compound coefficient phi, e.g. { phi: 1 }`,
    );
  const { phi, alpha, beta, gamma, ...rest } = options;
  const { depthMult, widthMult } = compoundScaling(phi, { alpha, beta, gamma });
  checkModelOptions(op, rest, optionNames);
  return new EfficientNet(efficientnetConfig(widthMult, depthMult), rest);
}

const paper =
  'EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks (Tan & Le 2019)';
const variants: Array<[string, (o?: EfficientNetOptions) => EfficientNet, number]> = [
  ['efficientnet_b0', efficientnet_b0, 224],
  ['efficientnet_b1', efficientnet_b1, 240],
  ['efficientnet_b2', efficientnet_b2, 260],
  ['efficientnet_b3', efficientnet_b3, 300],
  ['efficientnet_b4', efficientnet_b4, 380],
  ['efficientnet_b5', efficientnet_b5, 456],
  ['efficientnet_b6', efficientnet_b6, 528],
  ['efficientnet_b7', efficientnet_b7, 600],
];
for (const [name, create, inputSize] of variants)
  registerModel({ name, family: 'efficientnet', inputSize, inChannels: 3, paper, create });
