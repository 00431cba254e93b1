import * as F from '../../ops';
import type { Tensor } from '../../tensor';
import { Module } from '../module';

type Pair = number | [number, number];

export class MaxPool2d extends Module {
  readonly options: F.MaxPool2dOptions;
  constructor(kernelSize: Pair, options: Omit<F.MaxPool2dOptions, 'kernelSize'> = {}) {
    super();
    this.options = { kernelSize, ...options };
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.options);
  }
}

export class AvgPool2d extends Module {
  readonly options: F.AvgPool2dOptions;
  constructor(kernelSize: Pair, options: Omit<F.AvgPool2dOptions, 'kernelSize'> = {}) {
    super();
    this.options = { kernelSize, ...options };
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.options);
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}
