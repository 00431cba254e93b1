// Activation modules (inplace options are accepted for compatibility and ignored).
import * as F from '../../ops';
import type { Tensor } from '../../tensor';
import { Module } from '../module';

export class ReLU extends Module {
  constructor(_options: { inplace?: boolean } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class ReLU6 extends Module {
  constructor(_options: { inplace?: boolean } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}

export class SiLU extends Module {
  constructor(_options: { inplace?: boolean } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

export class Hardswish extends Module {
  constructor(_options: { inplace?: boolean } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}

export class Hardsigmoid extends Module {
  constructor(_options: { inplace?: boolean } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
}

/** A module class that takes no required constructor arguments (for activationLayer options). */
export type ActivationLayer = new () => Module;
