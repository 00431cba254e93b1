// DenseNet as torchvision 0.14 builds it (Huang et al., 2017): the stem (conv0, norm0, relu0,
// pool0), dense blocks of bottleneck layers (norm1, relu1, conv1 1x1 to bnSize * growthRate,
// norm2, relu2, conv2 3x3 to growthRate) whose inputs are the concatenation of every earlier
// output, transitions (norm, relu, conv 1x1 to floor(compression * C), 2x2 average pool),
// norm5, then ReLU, global average pool and classifier. Keys as torchvision's:
// features.denseblock1.denselayer1.norm1.weight, features.transition1.conv.weight, ...
//
// In NHWC the concatenation is along the last axis. Each block writes its input and every
// layer's growthRate channels into one shared buffer (nn/blocks/feature_buffer.ts), and each
// layer's norm1 reads its input, the buffer's channels so far, in place: no concatenation is
// copied (torchvision re-concatenates the list of all earlier features for each layer). Memory-efficient checkpointing is not implemented (it changes memory, not
// results): memoryEfficient is accepted for compatibility and ignored. BN + ReLU run fused.
import * as F from '../ops';
import type { Tensor } from '../tensor';
import { AvgPool2d, BatchNorm2d, Conv2d, init, Linear, MaxPool2d, Module, ReLU } from '../nn';
import { FeatureBuffer } from '../nn/blocks/feature_buffer';
import { batchNormRelu, forwardFused, NamedSequential } from '../nn/blocks/fused_sequential';
import { convForNorm } from '../nn/blocks/conv_norm_activation';
import { boolOption, checkOptionNames, intOption, probabilityOption } from './builder_utils';
import { registerModel, type ModelOptions } from './registry';
import { checkNumber } from '../check';

/** The bottleneck layer: BN-ReLU-conv1x1-BN-ReLU-conv3x3, returning growthRate new channels. */
export class DenseLayer extends Module {
  norm1: BatchNorm2d;
  relu1: ReLU;
  conv1: Conv2d;
  norm2: BatchNorm2d;
  relu2: ReLU;
  conv2: Conv2d;
  readonly dropRate: number;

  constructor(numInputFeatures: number, growthRate: number, bnSize: number, dropRate: number) {
    super();
    this.norm1 = new BatchNorm2d(numInputFeatures);
    this.relu1 = new ReLU();
    this.conv1 = new Conv2d(numInputFeatures, bnSize * growthRate, 1, { bias: false });
    this.norm2 = new BatchNorm2d(bnSize * growthRate);
    this.relu2 = new ReLU();
    this.conv2 = new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false });
    this.dropRate = probabilityOption('DenseLayer', 'dropRate', dropRate, 0);
  }

  /** One tensor (already concatenated), or the earlier features to concatenate, as torchvision. */
  forward(...features: Tensor[]): Tensor {
    const buffer = this.pendingBuffer;
    this.pendingBuffer = null;
    if (buffer && this.norm1.training) {
      // norm1-relu1 and conv1 as one op (F.conv2d's inputNorm): norm1's first backward pass
      // runs inside conv1's data gradient; conv1 sums its output's statistics for norm2.
      const inputNorm = buffer.normReluOptions(this.norm1, features[0]);
      return this.fromBottleneck(convForNorm(this.conv1, this.norm2, features[0], inputNorm));
    }
    if (buffer) return this.newFeatures(buffer.normalizeRelu(this.norm1, features[0]));
    const x = features.length === 1 ? features[0] : F.cat(features, -1);
    return this.newFeatures(batchNormRelu(this.norm1, x));
  }

  /** forwardBuffer's buffer, read (and cleared) by the forward call it makes. */
  private pendingBuffer: FeatureBuffer | null = null;

  /**
   * The layer on a block's shared buffer: its input is the buffer's channels so far (`view`,
   * the whole buffer's shape). Goes through forward, so the profiler's hooks see the call.
   */
  forwardBuffer(buffer: FeatureBuffer, view: Tensor): Tensor {
    this.pendingBuffer = buffer;
    try {
      return this.forward(view);
    } finally {
      this.pendingBuffer = null;
    }
  }

  /** conv1, norm2-relu2, conv2 (and dropout) on the normalised input. */
  private newFeatures(normalized: Tensor): Tensor {
    // conv1 (1x1) sums its output's batch statistics while in cache (convForNorm).
    return this.fromBottleneck(convForNorm(this.conv1, this.norm2, normalized));
  }

  /** norm2-relu2, conv2 (and dropout) on conv1's output. */
  private fromBottleneck({
    y: bottleneck,
    batchStats,
  }: {
    y: Tensor;
    batchStats?: Float64Array;
  }): Tensor {
    const out = this.conv2.forward(batchNormRelu(this.norm2, bottleneck, 'relu', { batchStats }));
    return this.dropRate > 0 ? F.dropout(out, this.dropRate, { training: this.training }) : out;
  }
}

/** numLayers DenseLayers (denselayer1, ...); output channels = input + numLayers * growthRate. */
export class DenseBlock extends Module {
  constructor(
    numLayers: number,
    numInputFeatures: number,
    bnSize: number,
    growthRate: number,
    dropRate: number,
  ) {
    super();
    for (let i = 0; i < numLayers; i++)
      (this as unknown as Record<string, DenseLayer>)[`denselayer${i + 1}`] = new DenseLayer(
        numInputFeatures + i * growthRate,
        growthRate,
        bnSize,
        dropRate,
      );
  }

  forward(x: Tensor): Tensor {
    const layers = this.children() as DenseLayer[];
    const total = x.shape[3] + layers.reduce((sum, l) => sum + l.conv2.outChannels, 0);
    const { buffer, view } = FeatureBuffer.start(x, total, this.training);
    let features = view;
    for (const layer of layers)
      features = buffer.append(features, layer.forwardBuffer(buffer, features));
    return features;
  }
}

/** Between blocks: BN-ReLU-conv1x1-avgpool 2x2 (torchvision's _Transition, an nn.Sequential). */
export class Transition extends NamedSequential {
  norm: BatchNorm2d;
  relu: ReLU;
  conv: Conv2d;
  pool: AvgPool2d;

  constructor(numInputFeatures: number, numOutputFeatures: number) {
    super();
    this.norm = new BatchNorm2d(numInputFeatures);
    this.relu = new ReLU();
    this.conv = new Conv2d(numInputFeatures, numOutputFeatures, 1, { bias: false });
    this.pool = new AvgPool2d(2, { stride: 2 });
  }

  override forward(x: Tensor): Tensor {
    if (!this.norm.training) return super.forward(x);
    // In training norm-relu and conv as one op (F.conv2d's inputNorm): the norm's first
    // backward pass runs inside the conv's data gradient.
    const inputNorm = { ...this.norm.callOptions(), activation: 'relu' as const };
    return this.pool.forward(this.conv.forwardWith(x, { inputNorm }));
  }
}

export interface DenseNetOptions extends ModelOptions {
  numClasses?: number;
  inChannels?: number;
  growthRate?: number;
  blockConfig?: readonly number[];
  numInitFeatures?: number;
  /** Bottleneck width multiplier: conv1 has bnSize * growthRate channels (4). */
  bnSize?: number;
  /** Dropout on each layer's new features (0). */
  dropRate?: number;
  /** Transition output channels = floor(compression * C) (0.5, torchvision's C // 2). */
  compression?: number;
  /** Accepted for torchvision compatibility; checkpointing is not implemented (same results). */
  memoryEfficient?: boolean;
}

const finalRelu = new ReLU();

export class DenseNet extends Module {
  features: NamedSequential;
  classifier: Linear;

  constructor(options: DenseNetOptions = {}, op = 'DenseNet') {
    super();
    checkOptionNames(op, options, [
      'numClasses',
      'inChannels',
      'growthRate',
      'blockConfig',
      'numInitFeatures',
      'bnSize',
      'dropRate',
      'compression',
      'memoryEfficient',
    ]);
    const numClasses = intOption(op, 'numClasses', options.numClasses, 1000);
    const inChannels = intOption(op, 'inChannels', options.inChannels, 3);
    const growthRate = intOption(op, 'growthRate', options.growthRate, 32);
    const numInitFeatures = intOption(op, 'numInitFeatures', options.numInitFeatures, 64);
    const bnSize = intOption(op, 'bnSize', options.bnSize, 4);
    const dropRate = probabilityOption(op, 'dropRate', options.dropRate, 0);
    boolOption(op, 'memoryEfficient', options.memoryEfficient, false);
    const compression = checkNumber(op, 'compression', options.compression ?? 0.5);
    if (!(compression > 0 && compression <= 1))
      throw new RangeError(`convkit.${op}: compression must be in (0, 1]; received ${compression}`);
    const blockConfig = options.blockConfig ?? [6, 12, 24, 16];
    if (!Array.isArray(blockConfig) || blockConfig.length === 0)
      throw new TypeError(
        `convkit.${op}: blockConfig must be a non-empty array of layer counts, as [6, 12, 24, 16]`,
      );
    blockConfig.forEach((n, i) => intOption(op, `blockConfig[${i}]`, n, 1, 1));

    // Every conv is redrawn by initDenseNetWeights: skip the default init (drawn once).
    const { features, classifier } = init.skipInit(() => {
      const features = new NamedSequential([
        [
          'conv0',
          new Conv2d(inChannels, numInitFeatures, 7, { stride: 2, padding: 3, bias: false }),
        ],
        ['norm0', new BatchNorm2d(numInitFeatures)],
        ['relu0', new ReLU()],
        ['pool0', new MaxPool2d(3, { stride: 2, padding: 1 })],
      ]);
      let numFeatures = numInitFeatures;
      blockConfig.forEach((numLayers, i) => {
        features.addModule(
          `denseblock${i + 1}`,
          new DenseBlock(numLayers, numFeatures, bnSize, growthRate, dropRate),
        );
        numFeatures += numLayers * growthRate;
        if (i !== blockConfig.length - 1) {
          const out = Math.floor(compression * numFeatures);
          if (out < 1)
            throw new RangeError(
              `convkit.${op}: compression ${compression} leaves no channels after block ${i + 1}`,
            );
          features.addModule(`transition${i + 1}`, new Transition(numFeatures, out));
          numFeatures = out;
        }
      });
      features.addModule('norm5', new BatchNorm2d(numFeatures));
      return { features, classifier: new Linear(numFeatures, numClasses) };
    });
    this.features = features;
    this.classifier = classifier;
    initDenseNetWeights(this);
  }

  forward(x: Tensor): Tensor {
    // features, then ReLU fused into norm5, global average pool, classifier.
    const out = forwardFused([...this.features.children(), finalRelu], x);
    return this.classifier.forward(F.flatten(F.adaptiveAvgPool2d(out, 1)));
  }
}

/**
 * torchvision's DenseNet init: kaiming normal (fan_in) for convs, BN 1/0, and the classifier
 * with PyTorch's default weight and a zero bias.
 */
export function initDenseNetWeights(model: Module): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      init.kaimingNormal_(m.weight);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof Linear) {
      init.resetLinearLike(m.weight, null);
      if (m.bias) init.zeros_(m.bias);
    }
  }
}

function _densenet(
  name: string,
  growthRate: number,
  blockConfig: number[],
  numInitFeatures: number,
  options: DenseNetOptions,
): DenseNet {
  for (const fixed of ['growthRate', 'blockConfig', 'numInitFeatures'])
    if (options[fixed] !== undefined)
      throw new RangeError(
        `convkit.${name}: ${fixed} is fixed by the architecture; build new DenseNet({ ${fixed}, ... }) for another`,
      );
  return new DenseNet({ ...options, growthRate, blockConfig, numInitFeatures }, name);
}

export const densenet121 = (options: DenseNetOptions = {}): DenseNet =>
  _densenet('densenet121', 32, [6, 12, 24, 16], 64, options);
export const densenet161 = (options: DenseNetOptions = {}): DenseNet =>
  _densenet('densenet161', 48, [6, 12, 36, 24], 96, options);
export const densenet169 = (options: DenseNetOptions = {}): DenseNet =>
  _densenet('densenet169', 32, [6, 12, 32, 32], 64, options);
export const densenet201 = (options: DenseNetOptions = {}): DenseNet =>
  _densenet('densenet201', 32, [6, 12, 48, 32], 64, options);

for (const [name, create] of Object.entries({ densenet121, densenet161, densenet169, densenet201 }))
  registerModel({
    name,
    family: 'densenet',
    inputSize: 224,
    inChannels: 3,
    paper: 'Densely Connected Convolutional Networks (Huang et al., 2017)',
    create,
  });
