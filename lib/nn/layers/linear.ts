import { checkInt } from '../../check';
import * as F from '../../ops';
import { Tensor, zeros } from '../../tensor';
import { resetLinearLike } from '../init';
import { Module, parameter } from '../module';

/** nn.Linear: y = x W^T + b, W [out, in]. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    checkInt('Linear', 'inFeatures', inFeatures, 1);
    checkInt('Linear', 'outFeatures', outFeatures, 1);
    this.weight = parameter(zeros([outFeatures, inFeatures]));
    this.bias = options.bias === false ? null : parameter(zeros([outFeatures]));
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}
