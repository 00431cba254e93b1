import * as F from '../../ops';
import type { Tensor } from '../../tensor';
import { Module } from '../module';

/** nn.Flatten(1): [N, H, W, C] -> [N, C*H*W] in channel-major order (PyTorch's NCHW order). */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return F.flatten(x);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
