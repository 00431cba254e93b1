// GoogLeNet (Inception v1) as torchvision 0.14 builds it (Szegedy et al., 2015): BasicConv2d
// (conv without bias + BatchNorm2d(eps 0.001) + ReLU, fused), Inception modules inception3a
// ... inception5b with branch1..branch4 (torchvision's 3x3 in place of the paper's 5x5 in
// branch3, kept for weight compatibility), max pools with ceilMode, global average pool,
// dropout 0.2 and fc. The auxiliary heads aux1/aux2 (InceptionAux) are built only with
// auxLogits: true (the reference counts are without them); forward returns the main logits
// and forwardWithAux also returns the aux logits in training, as torchvision's
// GoogLeNetOutputs(logits, aux_logits2, aux_logits1).
// Initialisation: truncated normal std 0.01 for conv and linear weights, BN 1/0.
import * as F from '../ops';
import { tensor, type Tensor } from '../tensor';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  init,
  Linear,
  MaxPool2d,
  Module,
  Sequential,
} from '../nn';
import type { Conv2dLayerOptions, Size2 } from '../nn';
import { batchNormRelu } from '../nn/blocks/fused_sequential';
import {
  boolOption,
  buildSkippingDefaultInit,
  checkOptionNames,
  defaultBiasInit,
  truncNormalInit,
  intOption,
  probabilityOption,
} from './builder_utils';
import { registerModel, type ModelOptions } from './registry';

/** conv (no bias) + BatchNorm2d(eps 0.001) + ReLU, the unit of both Inception networks. */
export class BasicConv2d extends Module {
  conv: Conv2d;
  bn: BatchNorm2d;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Size2,
    options: Omit<Conv2dLayerOptions, 'bias'> = {},
  ) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, kernelSize, { ...options, bias: false });
    this.bn = new BatchNorm2d(outChannels, { eps: 0.001 });
  }

  forward(x: Tensor): Tensor {
    return batchNormRelu(this.bn, this.conv.forward(x));
  }
}

/** Four branches concatenated along channels: 1x1; 1x1-3x3; 1x1-3x3; maxpool 3x3-1x1. */
export class Inception extends Module {
  branch1: BasicConv2d;
  branch2: Sequential;
  branch3: Sequential;
  branch4: Sequential;

  constructor(
    inChannels: number,
    ch1x1: number,
    ch3x3red: number,
    ch3x3: number,
    ch5x5red: number,
    ch5x5: number,
    poolProj: number,
  ) {
    super();
    this.branch1 = new BasicConv2d(inChannels, ch1x1, 1);
    this.branch2 = new Sequential(
      new BasicConv2d(inChannels, ch3x3red, 1),
      new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 }),
    );
    // kernel 3 instead of the paper's 5: torchvision's known deviation, kept for its weights.
    this.branch3 = new Sequential(
      new BasicConv2d(inChannels, ch5x5red, 1),
      new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 }),
    );
    this.branch4 = new Sequential(
      new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }),
      new BasicConv2d(inChannels, poolProj, 1),
    );
  }

  forward(x: Tensor): Tensor {
    return F.cat(
      [
        this.branch1.forward(x),
        this.branch2.forward(x),
        this.branch3.forward(x),
        this.branch4.forward(x),
      ],
      -1,
    );
  }
}

/** The auxiliary classifier: adaptive pool 4x4, 1x1 conv to 128, fc 2048-1024, dropout, fc. */
export class InceptionAux extends Module {
  conv: BasicConv2d;
  fc1: Linear;
  fc2: Linear;
  dropout: Dropout;

  constructor(inChannels: number, numClasses: number, dropout = 0.7) {
    super();
    this.conv = new BasicConv2d(inChannels, 128, 1);
    this.fc1 = new Linear(2048, 1024);
    this.fc2 = new Linear(1024, numClasses);
    this.dropout = new Dropout(dropout);
  }

  forward(x: Tensor): Tensor {
    const features = F.flatten(this.conv.forward(F.adaptiveAvgPool2d(x, [4, 4])));
    return this.fc2.forward(this.dropout.forward(F.relu(this.fc1.forward(features))));
  }
}

/** ImageNet-normalised input to the (x - 0.5) / 0.5 scaling Google's weights expect, per channel (NHWC). */
export function transformImageNetInput(x: Tensor): Tensor {
  const scale = tensor([0.229 / 0.5, 0.224 / 0.5, 0.225 / 0.5]);
  const shift = tensor([(0.485 - 0.5) / 0.5, (0.456 - 0.5) / 0.5, (0.406 - 0.5) / 0.5]);
  return F.add(F.mul(x, scale), shift);
}

export interface GoogLeNetOptions extends ModelOptions {
  numClasses?: number;
  inChannels?: number;
  /** Build aux1/aux2 (default false: the reference counts are without them). */
  auxLogits?: boolean;
  /** Map ImageNet-normalised input to the scaling of Google's weights (needs 3 channels). */
  transformInput?: boolean;
  /** torchvision's truncated-normal init (default true). */
  initWeights?: boolean;
  dropout?: number;
  dropoutAux?: number;
}

export interface GoogLeNetOutputs {
  logits: Tensor;
  aux2: Tensor | null;
  aux1: Tensor | null;
}

/** The options GoogLeNet and Inception v3 share, checked (torchvision's defaults). */
export function inceptionNetOptions(
  op: string,
  options: ModelOptions & {
    numClasses?: number;
    inChannels?: number;
    auxLogits?: boolean;
    transformInput?: boolean;
    initWeights?: boolean;
    dropout?: number;
  },
  defaultDropout: number,
  extraNames: string[] = [],
) {
  checkOptionNames(op, options, [
    'numClasses',
    'inChannels',
    'auxLogits',
    'transformInput',
    'initWeights',
    'dropout',
    ...extraNames,
  ]);
  const inChannels = intOption(op, 'inChannels', options.inChannels, 3);
  const transformInput = boolOption(op, 'transformInput', options.transformInput, false);
  if (transformInput && inChannels !== 3)
    throw new RangeError(
      `convkit.${op}: transformInput maps ImageNet's 3 channels; it needs inChannels 3, not ${inChannels}`,
    );
  return {
    numClasses: intOption(op, 'numClasses', options.numClasses, 1000),
    inChannels,
    auxLogits: boolOption(op, 'auxLogits', options.auxLogits, false),
    transformInput,
    initWeights: boolOption(op, 'initWeights', options.initWeights, true),
    dropout: probabilityOption(op, 'dropout', options.dropout, defaultDropout),
  };
}

export class GoogLeNet extends Module {
  conv1!: BasicConv2d;
  maxpool1!: MaxPool2d;
  conv2!: BasicConv2d;
  conv3!: BasicConv2d;
  maxpool2!: MaxPool2d;
  inception3a!: Inception;
  inception3b!: Inception;
  maxpool3!: MaxPool2d;
  inception4a!: Inception;
  inception4b!: Inception;
  inception4c!: Inception;
  inception4d!: Inception;
  inception4e!: Inception;
  maxpool4!: MaxPool2d;
  inception5a!: Inception;
  inception5b!: Inception;
  aux1!: InceptionAux | null;
  aux2!: InceptionAux | null;
  avgpool!: AdaptiveAvgPool2d;
  dropout!: Dropout;
  fc!: Linear;
  readonly transformInput: boolean;

  constructor(options: GoogLeNetOptions = {}) {
    super();
    const op = 'googlenet';
    const { numClasses, inChannels, auxLogits, transformInput, initWeights, dropout } =
      inceptionNetOptions(op, options, 0.2, ['dropoutAux']);
    this.transformInput = transformInput;
    const dropoutAux = probabilityOption(op, 'dropoutAux', options.dropoutAux, 0.7);
    const pool = (k: number) => new MaxPool2d(k, { stride: 2, ceilMode: true });

    // Every weight is redrawn by the init loop: skip the layers' default init (drawn once).
    buildSkippingDefaultInit(initWeights, () => {
      this.conv1 = new BasicConv2d(inChannels, 64, 7, { stride: 2, padding: 3 });
      this.maxpool1 = pool(3);
      this.conv2 = new BasicConv2d(64, 64, 1);
      this.conv3 = new BasicConv2d(64, 192, 3, { padding: 1 });
      this.maxpool2 = pool(3);
      this.inception3a = new Inception(192, 64, 96, 128, 16, 32, 32);
      this.inception3b = new Inception(256, 128, 128, 192, 32, 96, 64);
      this.maxpool3 = pool(3);
      this.inception4a = new Inception(480, 192, 96, 208, 16, 48, 64);
      this.inception4b = new Inception(512, 160, 112, 224, 24, 64, 64);
      this.inception4c = new Inception(512, 128, 128, 256, 24, 64, 64);
      this.inception4d = new Inception(512, 112, 144, 288, 32, 64, 64);
      this.inception4e = new Inception(528, 256, 160, 320, 32, 128, 128);
      this.maxpool4 = pool(2);
      this.inception5a = new Inception(832, 256, 160, 320, 32, 128, 128);
      this.inception5b = new Inception(832, 384, 192, 384, 48, 128, 128);
      this.aux1 = auxLogits ? new InceptionAux(512, numClasses, dropoutAux) : null;
      this.aux2 = auxLogits ? new InceptionAux(528, numClasses, dropoutAux) : null;
      this.avgpool = new AdaptiveAvgPool2d(1);
      this.dropout = new Dropout(dropout);
      this.fc = new Linear(1024, numClasses);
    });
    if (initWeights) initGoogLeNetWeights(this);
  }

  /** The logits, and in training the aux heads' logits (null without auxLogits or in eval). */
  forwardWithAux(x: Tensor): GoogLeNetOutputs {
    return this.run(x, this.training);
  }

  forward(x: Tensor): Tensor {
    return this.run(x, false).logits;
  }

  private run(x: Tensor, withAux: boolean): GoogLeNetOutputs {
    if (this.transformInput) x = transformImageNetInput(x);
    x = this.maxpool1.forward(this.conv1.forward(x));
    x = this.maxpool2.forward(this.conv3.forward(this.conv2.forward(x)));
    x = this.maxpool3.forward(this.inception3b.forward(this.inception3a.forward(x)));
    x = this.inception4a.forward(x);
    const aux1 = this.aux1 && withAux ? this.aux1.forward(x) : null;
    x = this.inception4d.forward(this.inception4c.forward(this.inception4b.forward(x)));
    const aux2 = this.aux2 && withAux ? this.aux2.forward(x) : null;
    x = this.maxpool4.forward(this.inception4e.forward(x));
    x = this.inception5b.forward(this.inception5a.forward(x));
    x = F.flatten(this.avgpool.forward(x));
    return { logits: this.fc.forward(this.dropout.forward(x)), aux2, aux1 };
  }
}

/**
 * torchvision's GoogLeNet init: truncated normal std 0.01 in [-2, 2] for conv and linear
 * weights, linear biases as PyTorch's default, BN 1/0.
 */
export function initGoogLeNetWeights(model: Module): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d || m instanceof Linear) {
      truncNormalInit(m.weight, 0.01);
      if (m.bias) defaultBiasInit(m.weight, m.bias);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    }
  }
}

export function googlenet(options: GoogLeNetOptions = {}): GoogLeNet {
  return new GoogLeNet(options);
}

registerModel({
  name: 'googlenet',
  family: 'inception',
  inputSize: 224,
  inChannels: 3,
  paper: 'Going Deeper with Convolutions (Szegedy et al., 2015)',
  create: googlenet,
});
