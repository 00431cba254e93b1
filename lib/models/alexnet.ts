// AlexNet as torchvision 0.14 builds it (the one-GPU variant of Krizhevsky et al., 2012, with
// 64/192/384/256/256 channels): features.N, avgpool (AdaptiveAvgPool2d(6)), classifier.N.
// Flatten is channel-major, so torchvision's classifier weights apply unchanged. The smallest
// input is 63x63 (the last max pool needs 3x3); any larger size is pooled to 6x6.
// Initialisation: PyTorch's defaults for Conv2d and Linear, as torchvision (no custom loop).
import * as F from '../ops';
import type { Tensor } from '../tensor';
import {
  AdaptiveAvgPool2d,
  Conv2d,
  Dropout,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
} from '../nn';
import { checkOptionNames, intOption, probabilityOption } from './builder_utils';
import { registerModel, type ModelOptions } from './registry';

export interface AlexNetOptions extends ModelOptions {
  numClasses?: number;
  inChannels?: number;
  /** Dropout before the first two classifier layers (0.5). */
  dropout?: number;
}

export class AlexNet extends Module {
  features: Sequential;
  avgpool: AdaptiveAvgPool2d;
  classifier: Sequential;

  constructor(options: AlexNetOptions = {}) {
    super();
    const op = 'alexnet';
    checkOptionNames(op, options, ['numClasses', 'inChannels', 'dropout']);
    const numClasses = intOption(op, 'numClasses', options.numClasses, 1000);
    const inChannels = intOption(op, 'inChannels', options.inChannels, 3);
    const dropout = probabilityOption(op, 'dropout', options.dropout, 0.5);
    this.features = new Sequential(
      new Conv2d(inChannels, 64, 11, { stride: 4, padding: 2 }),
      new ReLU(),
      new MaxPool2d(3, { stride: 2 }),
      new Conv2d(64, 192, 5, { padding: 2 }),
      new ReLU(),
      new MaxPool2d(3, { stride: 2 }),
      new Conv2d(192, 384, 3, { padding: 1 }),
      new ReLU(),
      new Conv2d(384, 256, 3, { padding: 1 }),
      new ReLU(),
      new Conv2d(256, 256, 3, { padding: 1 }),
      new ReLU(),
      new MaxPool2d(3, { stride: 2 }),
    );
    this.avgpool = new AdaptiveAvgPool2d(6);
    this.classifier = new Sequential(
      new Dropout(dropout),
      new Linear(256 * 6 * 6, 4096),
      new ReLU(),
      new Dropout(dropout),
      new Linear(4096, 4096),
      new ReLU(),
      new Linear(4096, numClasses),
    );
  }

  forward(x: Tensor): Tensor {
    if (x.ndim === 4 && (x.shape[1] < 63 || x.shape[2] < 63))
      throw new RangeError(
        `convkit.alexnet: the input must be at least 63x63 (NHWC); received [${x.shape}]`,
      );
    const features = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(F.flatten(features));
  }
}

export function alexnet(options: AlexNetOptions = {}): AlexNet {
  return new AlexNet(options);
}

registerModel({
  name: 'alexnet',
  family: 'alexnet',
  inputSize: 224,
  inChannels: 3,
  paper:
    'ImageNet Classification with Deep Convolutional Neural Networks (Krizhevsky et al., 2012)',
  create: alexnet,
});
