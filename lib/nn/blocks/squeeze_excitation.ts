// torchvision.ops.SqueezeExcitation: global average pool, fc1 (1x1 conv), activation, fc2,
// scale activation, then x * scale. Keys fc1.*, fc2.* as torchvision's.
import * as F from '../../ops';
import type { Tensor } from '../../tensor';
import { ActivationLayer, ReLU, Sigmoid } from '../layers/activation';
import { Conv2d } from '../layers/conv';
import { AdaptiveAvgPool2d } from '../layers/pooling';
import { Module } from '../module';

export interface SqueezeExcitationOptions {
  activation?: ActivationLayer;
  scaleActivation?: ActivationLayer;
}

export class SqueezeExcitation extends Module {
  avgpool: AdaptiveAvgPool2d;
  fc1: Conv2d;
  fc2: Conv2d;
  activation: Module;
  scale_activation: Module;

  constructor(
    inputChannels: number,
    squeezeChannels: number,
    options: SqueezeExcitationOptions = {},
  ) {
    super();
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc1 = new Conv2d(inputChannels, squeezeChannels, 1);
    this.fc2 = new Conv2d(squeezeChannels, inputChannels, 1);
    this.activation = new (options.activation ?? ReLU)();
    this.scale_activation = new (options.scaleActivation ?? Sigmoid)();
  }

  scale(x: Tensor): Tensor {
    return this.scaleOfPooled(this.avgpool.forward(x));
  }

  /** The scale from x's mean over H and W ([N, 1, 1, C]): what F.batchNorm's excite takes. */
  scaleOfPooled(pooled: Tensor): Tensor {
    const s = this.fc1.forward(pooled);
    return this.scale_activation.forward(this.fc2.forward(this.activation.forward(s)));
  }

  forward(x: Tensor): Tensor {
    // [N,H,W,C] * [N,1,1,C]: the broadcast multiply has a dedicated fast path.
    return F.mul(x, this.scale(x));
  }
}
