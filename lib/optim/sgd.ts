import { checkNumber, invalidRange } from '../check';
import { sgdStep } from '../kernels/optim';
import type { Tensor } from '../tensor';
import { GroupOptions, Optimizer, OptimizerGroup, ParamGroupSpec, ParamState } from './optimizer';

export interface SGDOptions extends GroupOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

/** torch.optim.SGD (PyTorch's update rule; fused native kernel). */
export class SGD extends Optimizer {
  constructor(params: Tensor[] | ParamGroupSpec[], options: SGDOptions) {
    if (typeof options !== 'object' || options === null || options.lr === undefined)
      throw new TypeError(
        'convkit.SGD: expected options with lr (SGD has no default learning rate)',
      );
    super(
      params,
      { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...options },
      'SGD',
    );
  }

  protected validateGroup(g: OptimizerGroup, i: number): void {
    for (const k of ['lr', 'momentum', 'weightDecay'] as const)
      if (checkNumber('SGD', `group ${i} ${k}`, g[k]) < 0)
        throw invalidRange('SGD', k, 'a number >= 0', g[k]);
  }

  protected update(p: Tensor, grad: Tensor, g: OptimizerGroup, s: ParamState): void {
    const momentum = g.momentum as number;
    sgdStep(
      p,
      grad,
      momentum !== 0 ? this.buffer(s, 'momentum_buffer', p) : null,
      {
        lr: g.lr,
        momentum,
        dampening: g.dampening as number,
        weightDecay: g.weightDecay as number,
        nesterov: g.nesterov as boolean,
        maximize: g.maximize as boolean,
      },
      s.step,
    );
  }
}
