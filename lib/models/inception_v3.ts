// Inception v3 as torchvision 0.14 builds it (Szegedy et al., 2016): the stem Conv2d_1a_3x3 …
// Conv2d_4a_3x3 with two max pools, Mixed_5b..5d (InceptionA), Mixed_6a (InceptionB, grid
// reduction), Mixed_6b..6e (InceptionC, 7x7 factorised into 1x7 and 7x1), Mixed_7a
// (InceptionD), Mixed_7b..7c (InceptionE, expanded 1x3/3x1 branches), global average pool,
// dropout 0.5, fc. BasicConv2d (conv + BN eps 0.001 + ReLU, fused) is shared with GoogLeNet.
// The auxiliary head AuxLogits (after Mixed_6e) is built only with auxLogits: true (the
// reference counts are without it); forwardWithAux returns its logits in training.
// Native input 299x299; the smallest is 75x75 (Mixed_7a needs 3x3).
// Initialisation as torchvision 0.14: truncated normal std 0.1 (in [-2, 2]) for conv and
// linear weights, except AuxLogits.fc with std 0.001 (torchvision also sets stddev 0.01 on
// AuxLogits.conv1, but on the BasicConv2d, which its init loop never reads), BN 1/0.
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
} from '../nn';
import { BasicConv2d, inceptionNetOptions, transformImageNetInput } from './googlenet';
import { buildSkippingDefaultInit, defaultBiasInit, truncNormalInit } from './builder_utils';
import { registerModel, type ModelOptions } from './registry';

const avgPool3x3 = (x: Tensor): Tensor => F.avgPool2d(x, { kernelSize: 3, stride: 1, padding: 1 });
const maxPool3x3s2 = (x: Tensor): Tensor => F.maxPool2d(x, { kernelSize: 3, stride: 2 });

/** 35x35 module: 1x1; 1x1-5x5; 1x1-3x3-3x3; avgpool-1x1 (poolFeatures). */
export class InceptionA extends Module {
  branch1x1: BasicConv2d;
  branch5x5_1: BasicConv2d;
  branch5x5_2: BasicConv2d;
  branch3x3dbl_1: BasicConv2d;
  branch3x3dbl_2: BasicConv2d;
  branch3x3dbl_3: BasicConv2d;
  branch_pool: BasicConv2d;

  constructor(inChannels: number, poolFeatures: number) {
    super();
    this.branch1x1 = new BasicConv2d(inChannels, 64, 1);
    this.branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
    this.branch5x5_2 = new BasicConv2d(48, 64, 5, { padding: 2 });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
    this.branch3x3dbl_2 = new BasicConv2d(64, 96, 3, { padding: 1 });
    this.branch3x3dbl_3 = new BasicConv2d(96, 96, 3, { padding: 1 });
    this.branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
  }

  forward(x: Tensor): Tensor {
    const branch1x1 = this.branch1x1.forward(x);
    const branch5x5 = this.branch5x5_2.forward(this.branch5x5_1.forward(x));
    const branch3x3dbl = this.branch3x3dbl_3.forward(
      this.branch3x3dbl_2.forward(this.branch3x3dbl_1.forward(x)),
    );
    const branchPool = this.branch_pool.forward(avgPool3x3(x));
    return F.cat([branch1x1, branch5x5, branch3x3dbl, branchPool], -1);
  }
}

/** Grid reduction 35 -> 17: 3x3/2; 1x1-3x3-3x3/2; maxpool 3x3/2. */
export class InceptionB extends Module {
  branch3x3: BasicConv2d;
  branch3x3dbl_1: BasicConv2d;
  branch3x3dbl_2: BasicConv2d;
  branch3x3dbl_3: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.branch3x3 = new BasicConv2d(inChannels, 384, 3, { stride: 2 });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
    this.branch3x3dbl_2 = new BasicConv2d(64, 96, 3, { padding: 1 });
    this.branch3x3dbl_3 = new BasicConv2d(96, 96, 3, { stride: 2 });
  }

  forward(x: Tensor): Tensor {
    const branch3x3 = this.branch3x3.forward(x);
    const branch3x3dbl = this.branch3x3dbl_3.forward(
      this.branch3x3dbl_2.forward(this.branch3x3dbl_1.forward(x)),
    );
    return F.cat([branch3x3, branch3x3dbl, maxPool3x3s2(x)], -1);
  }
}

/** 17x17 module with 7x7 convs factorised into 1x7 and 7x1 (channels7x7 in between). */
export class InceptionC extends Module {
  branch1x1: BasicConv2d;
  branch7x7_1: BasicConv2d;
  branch7x7_2: BasicConv2d;
  branch7x7_3: BasicConv2d;
  branch7x7dbl_1: BasicConv2d;
  branch7x7dbl_2: BasicConv2d;
  branch7x7dbl_3: BasicConv2d;
  branch7x7dbl_4: BasicConv2d;
  branch7x7dbl_5: BasicConv2d;
  branch_pool: BasicConv2d;

  constructor(inChannels: number, channels7x7: number) {
    super();
    const c7 = channels7x7;
    const oneBySeven = { padding: [0, 3] as [number, number] };
    const sevenByOne = { padding: [3, 0] as [number, number] };
    this.branch1x1 = new BasicConv2d(inChannels, 192, 1);
    this.branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
    this.branch7x7_2 = new BasicConv2d(c7, c7, [1, 7], oneBySeven);
    this.branch7x7_3 = new BasicConv2d(c7, 192, [7, 1], sevenByOne);
    this.branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
    this.branch7x7dbl_2 = new BasicConv2d(c7, c7, [7, 1], sevenByOne);
    this.branch7x7dbl_3 = new BasicConv2d(c7, c7, [1, 7], oneBySeven);
    this.branch7x7dbl_4 = new BasicConv2d(c7, c7, [7, 1], sevenByOne);
    this.branch7x7dbl_5 = new BasicConv2d(c7, 192, [1, 7], oneBySeven);
    this.branch_pool = new BasicConv2d(inChannels, 192, 1);
  }

  forward(x: Tensor): Tensor {
    const branch1x1 = this.branch1x1.forward(x);
    let branch7x7 = this.branch7x7_1.forward(x);
    branch7x7 = this.branch7x7_3.forward(this.branch7x7_2.forward(branch7x7));
    let branch7x7dbl = this.branch7x7dbl_1.forward(x);
    for (const conv of [
      this.branch7x7dbl_2,
      this.branch7x7dbl_3,
      this.branch7x7dbl_4,
      this.branch7x7dbl_5,
    ])
      branch7x7dbl = conv.forward(branch7x7dbl);
    const branchPool = this.branch_pool.forward(avgPool3x3(x));
    return F.cat([branch1x1, branch7x7, branch7x7dbl, branchPool], -1);
  }
}

/** Grid reduction 17 -> 8: 1x1-3x3/2; 1x1-1x7-7x1-3x3/2; maxpool 3x3/2. */
export class InceptionD extends Module {
  branch3x3_1: BasicConv2d;
  branch3x3_2: BasicConv2d;
  branch7x7x3_1: BasicConv2d;
  branch7x7x3_2: BasicConv2d;
  branch7x7x3_3: BasicConv2d;
  branch7x7x3_4: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
    this.branch3x3_2 = new BasicConv2d(192, 320, 3, { stride: 2 });
    this.branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
    this.branch7x7x3_2 = new BasicConv2d(192, 192, [1, 7], { padding: [0, 3] });
    this.branch7x7x3_3 = new BasicConv2d(192, 192, [7, 1], { padding: [3, 0] });
    this.branch7x7x3_4 = new BasicConv2d(192, 192, 3, { stride: 2 });
  }

  forward(x: Tensor): Tensor {
    const branch3x3 = this.branch3x3_2.forward(this.branch3x3_1.forward(x));
    let branch7x7x3 = this.branch7x7x3_1.forward(x);
    for (const conv of [this.branch7x7x3_2, this.branch7x7x3_3, this.branch7x7x3_4])
      branch7x7x3 = conv.forward(branch7x7x3);
    return F.cat([branch3x3, branch7x7x3, maxPool3x3s2(x)], -1);
  }
}

/** 8x8 module with expanded filter banks: the 3x3 branches split into parallel 1x3 and 3x1. */
export class InceptionE extends Module {
  branch1x1: BasicConv2d;
  branch3x3_1: BasicConv2d;
  branch3x3_2a: BasicConv2d;
  branch3x3_2b: BasicConv2d;
  branch3x3dbl_1: BasicConv2d;
  branch3x3dbl_2: BasicConv2d;
  branch3x3dbl_3a: BasicConv2d;
  branch3x3dbl_3b: BasicConv2d;
  branch_pool: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.branch1x1 = new BasicConv2d(inChannels, 320, 1);
    this.branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
    this.branch3x3_2a = new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] });
    this.branch3x3_2b = new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
    this.branch3x3dbl_2 = new BasicConv2d(448, 384, 3, { padding: 1 });
    this.branch3x3dbl_3a = new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] });
    this.branch3x3dbl_3b = new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] });
    this.branch_pool = new BasicConv2d(inChannels, 192, 1);
  }

  forward(x: Tensor): Tensor {
    const branch1x1 = this.branch1x1.forward(x);
    const branch3x3 = this.branch3x3_1.forward(x);
    const branch3x3dbl = this.branch3x3dbl_2.forward(this.branch3x3dbl_1.forward(x));
    const branchPool = this.branch_pool.forward(avgPool3x3(x));
    // torchvision concatenates [2a, 2b] and [3a, 3b] first, then the four branches: one
    // concatenation of the six parts gives the same channel order with one copy.
    return F.cat(
      [
        branch1x1,
        this.branch3x3_2a.forward(branch3x3),
        this.branch3x3_2b.forward(branch3x3),
        this.branch3x3dbl_3a.forward(branch3x3dbl),
        this.branch3x3dbl_3b.forward(branch3x3dbl),
        branchPool,
      ],
      -1,
    );
  }
}

/** Inception v3's auxiliary classifier on the 17x17 grid: avgpool 5/3, 1x1 to 128, 5x5 to 768, pool, fc. */
export class InceptionAuxV3 extends Module {
  conv0: BasicConv2d;
  conv1: BasicConv2d;
  fc: Linear;

  constructor(inChannels: number, numClasses: number) {
    super();
    this.conv0 = new BasicConv2d(inChannels, 128, 1);
    this.conv1 = new BasicConv2d(128, 768, 5);
    this.fc = new Linear(768, numClasses);
  }

  forward(x: Tensor): Tensor {
    x = this.conv0.forward(F.avgPool2d(x, { kernelSize: 5, stride: 3 }));
    x = F.adaptiveAvgPool2d(this.conv1.forward(x), 1);
    return this.fc.forward(F.flatten(x));
  }
}

export interface Inception3Options extends ModelOptions {
  numClasses?: number;
  inChannels?: number;
  /** Build AuxLogits (default false: the reference counts are without it). */
  auxLogits?: boolean;
  /** Map ImageNet-normalised input to the scaling of Google's weights (needs 3 channels). */
  transformInput?: boolean;
  /** torchvision's truncated-normal init (default true). */
  initWeights?: boolean;
  dropout?: number;
}

export interface InceptionOutputs {
  logits: Tensor;
  aux: Tensor | null;
}

export class Inception3 extends Module {
  Conv2d_1a_3x3!: BasicConv2d;
  Conv2d_2a_3x3!: BasicConv2d;
  Conv2d_2b_3x3!: BasicConv2d;
  maxpool1!: MaxPool2d;
  Conv2d_3b_1x1!: BasicConv2d;
  Conv2d_4a_3x3!: BasicConv2d;
  maxpool2!: MaxPool2d;
  Mixed_5b!: InceptionA;
  Mixed_5c!: InceptionA;
  Mixed_5d!: InceptionA;
  Mixed_6a!: InceptionB;
  Mixed_6b!: InceptionC;
  Mixed_6c!: InceptionC;
  Mixed_6d!: InceptionC;
  Mixed_6e!: InceptionC;
  AuxLogits!: InceptionAuxV3 | null;
  Mixed_7a!: InceptionD;
  Mixed_7b!: InceptionE;
  Mixed_7c!: InceptionE;
  avgpool!: AdaptiveAvgPool2d;
  dropout!: Dropout;
  fc!: Linear;
  readonly transformInput: boolean;

  constructor(options: Inception3Options = {}) {
    super();
    const op = 'inception_v3';
    const { numClasses, inChannels, auxLogits, transformInput, initWeights, dropout } =
      inceptionNetOptions(op, options, 0.5);
    this.transformInput = transformInput;

    // Every weight is redrawn by the init loop: skip the layers' default init (drawn once).
    buildSkippingDefaultInit(initWeights, () => {
      this.Conv2d_1a_3x3 = new BasicConv2d(inChannels, 32, 3, { stride: 2 });
      this.Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3);
      this.Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, { padding: 1 });
      this.maxpool1 = new MaxPool2d(3, { stride: 2 });
      this.Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
      this.Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3);
      this.maxpool2 = new MaxPool2d(3, { stride: 2 });
      this.Mixed_5b = new InceptionA(192, 32);
      this.Mixed_5c = new InceptionA(256, 64);
      this.Mixed_5d = new InceptionA(288, 64);
      this.Mixed_6a = new InceptionB(288);
      this.Mixed_6b = new InceptionC(768, 128);
      this.Mixed_6c = new InceptionC(768, 160);
      this.Mixed_6d = new InceptionC(768, 160);
      this.Mixed_6e = new InceptionC(768, 192);
      this.AuxLogits = auxLogits ? new InceptionAuxV3(768, numClasses) : null;
      this.Mixed_7a = new InceptionD(768);
      this.Mixed_7b = new InceptionE(1280);
      this.Mixed_7c = new InceptionE(2048);
      this.avgpool = new AdaptiveAvgPool2d(1);
      this.dropout = new Dropout(dropout);
      this.fc = new Linear(2048, numClasses);
    });
    if (initWeights) initInception3Weights(this);
  }

  /** The logits, and in training the AuxLogits head's (null without auxLogits or in eval). */
  forwardWithAux(x: Tensor): InceptionOutputs {
    return this.run(x, this.training);
  }

  forward(x: Tensor): Tensor {
    return this.run(x, false).logits;
  }

  private run(x: Tensor, withAux: boolean): InceptionOutputs {
    if (x.ndim === 4 && (x.shape[1] < 75 || x.shape[2] < 75))
      throw new RangeError(
        `convkit.inception_v3: the input must be at least 75x75 (NHWC); received [${x.shape}]`,
      );
    if (this.transformInput) x = transformImageNetInput(x);
    for (const m of [
      this.Conv2d_1a_3x3,
      this.Conv2d_2a_3x3,
      this.Conv2d_2b_3x3,
      this.maxpool1,
      this.Conv2d_3b_1x1,
    ])
      x = m.forward(x);
    for (const m of [
      this.Conv2d_4a_3x3,
      this.maxpool2,
      this.Mixed_5b,
      this.Mixed_5c,
      this.Mixed_5d,
      this.Mixed_6a,
    ])
      x = m.forward(x);
    for (const m of [this.Mixed_6b, this.Mixed_6c, this.Mixed_6d, this.Mixed_6e]) x = m.forward(x);
    const aux = this.AuxLogits && withAux ? this.AuxLogits.forward(x) : null;
    for (const m of [this.Mixed_7a, this.Mixed_7b, this.Mixed_7c]) x = m.forward(x);
    x = this.dropout.forward(F.flatten(this.avgpool.forward(x)));
    return { logits: this.fc.forward(x), aux };
  }
}

/**
 * torchvision 0.14's Inception3 init: truncated normal std 0.1 in [-2, 2] for conv and linear
 * weights, except the aux head's fc (std 0.001); linear biases as PyTorch's default; BN 1/0.
 */
export function initInception3Weights(model: Module): void {
  const auxFc = new Set(
    model.modules().flatMap((m) => (m instanceof InceptionAuxV3 ? [m.fc] : [])),
  );
  for (const m of model.modules()) {
    if (m instanceof Conv2d || m instanceof Linear) {
      truncNormalInit(m.weight, auxFc.has(m as Linear) ? 0.001 : 0.1);
      if (m.bias) defaultBiasInit(m.weight, m.bias);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    }
  }
}

export function inception_v3(options: Inception3Options = {}): Inception3 {
  return new Inception3(options);
}

registerModel({
  name: 'inception_v3',
  family: 'inception',
  inputSize: 299,
  inChannels: 3,
  paper: 'Rethinking the Inception Architecture for Computer Vision (Szegedy et al., 2016)',
  create: inception_v3,
});
