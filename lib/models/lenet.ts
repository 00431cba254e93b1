// LeNet-5 (LeCun et al., 1998), not in torchvision, in the form textbooks and PyTorch tutorials
// teach it: conv 5x5 6 - pool - conv 5x5 16 - pool - fc 120 - fc 84 - fc numClasses, with C3
// fully connected (not the paper's sparse connection table) and a plain linear output (not
// the paper's RBF layer): 61,706 parameters for 1 input channel and 10 classes.
//
// Activation and pooling follow the paper by default: tanh and 2x2 average pooling
// ("subsampling", here without the paper's trainable coefficient). The seeds only name LeNet
// in the line of architectures, so `activation: 'relu'` and `pooling: 'max'` give the modern
// variant; neither changes the parameter count.
//
// The paper's input is 32x32; MNIST is 28x28, so the first conv pads by 2 for inputSize 28
// (the default) and by 0 for inputSize 32 — both reach 5x5x16 before the classifier.
// Keys follow torchvision's plain nets (AlexNet, VGG): features.N and classifier.N.
import * as F from '../ops';
import type { Tensor } from '../tensor';
import { Conv2d, Linear, Sequential, Tanh, ReLU, AvgPool2d, MaxPool2d, Module } from '../nn';
import { checkOptionNames, choiceOption, intOption } from './builder_utils';
import { registerModel, type ModelOptions } from './registry';

export interface LeNetOptions extends ModelOptions {
  numClasses?: number;
  inChannels?: number;
  /** 28 (MNIST, first conv padded by 2) or 32 (the paper's). */
  inputSize?: number;
  activation?: 'tanh' | 'relu';
  pooling?: 'avg' | 'max';
}

export class LeNet extends Module {
  features: Sequential;
  classifier: Sequential;

  constructor(options: LeNetOptions = {}) {
    super();
    const op = 'lenet5';
    checkOptionNames(op, options, [
      'numClasses',
      'inChannels',
      'inputSize',
      'activation',
      'pooling',
    ]);
    const numClasses = intOption(op, 'numClasses', options.numClasses, 10);
    const inChannels = intOption(op, 'inChannels', options.inChannels, 1);
    const inputSize = intOption(op, 'inputSize', options.inputSize, 28);
    if (inputSize !== 28 && inputSize !== 32)
      throw new RangeError(
        `convkit.lenet5: inputSize must be 28 (MNIST) or 32 (the paper's) so that the classifier sees 5x5x16 features; received ${inputSize}`,
      );
    const Act =
      choiceOption(op, 'activation', options.activation, ['tanh', 'relu'] as const) === 'tanh'
        ? Tanh
        : ReLU;
    const pooling = choiceOption(op, 'pooling', options.pooling, ['avg', 'max'] as const);
    const pool = () =>
      pooling === 'avg' ? new AvgPool2d(2, { stride: 2 }) : new MaxPool2d(2, { stride: 2 });
    this.features = new Sequential(
      new Conv2d(inChannels, 6, 5, { padding: (32 - inputSize) / 2 }),
      new Act(),
      pool(),
      new Conv2d(6, 16, 5),
      new Act(),
      pool(),
    );
    this.classifier = new Sequential(
      new Linear(16 * 5 * 5, 120),
      new Act(),
      new Linear(120, 84),
      new Act(),
      new Linear(84, numClasses),
    );
    // PyTorch's default initialisation of Conv2d and Linear (as the tutorials train it).
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(F.flatten(this.features.forward(x)));
  }
}

export function lenet5(options: LeNetOptions = {}): LeNet {
  return new LeNet(options);
}

registerModel({
  name: 'lenet5',
  family: 'lenet',
  inputSize: 28,
  inChannels: 1,
  paper: 'Gradient-Based Learning Applied to Document Recognition (LeCun et al., 1998)',
  create: lenet5,
});
