// torch.optim.RMSprop on the fused native update (kernels/optim: one pass per parameter).
import { checkNumber, invalidRange } from '../check';
import { rmspropStep } from '../kernels/optim';
import type { Tensor } from '../tensor';
import { GroupOptions, Optimizer, OptimizerGroup, ParamGroupSpec, ParamState } from './optimizer';

export interface RMSpropOptions extends GroupOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

export class RMSprop extends Optimizer {
  constructor(params: Tensor[] | ParamGroupSpec[], options: RMSpropOptions = {}) {
    super(
      params,
      {
        lr: 1e-2,
        alpha: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        momentum: 0,
        centered: false,
        maximize: false,
        ...options,
      },
      'RMSprop',
    );
  }

  protected validateGroup(g: OptimizerGroup, i: number): void {
    for (const k of ['lr', 'alpha', 'eps', 'weightDecay', 'momentum'] as const)
      if (checkNumber('RMSprop', `group ${i} ${k}`, g[k]) < 0)
        throw invalidRange('RMSprop', k, 'a number >= 0', g[k]);
  }

  protected update(p: Tensor, grad: Tensor, g: OptimizerGroup, s: ParamState): void {
    const momentum = g.momentum as number;
    const centered = g.centered as boolean;
    rmspropStep(
      p,
      grad,
      {
        squareAvg: this.buffer(s, 'square_avg', p),
        gradAvg: centered ? this.buffer(s, 'grad_avg', p) : null,
        momentumBuffer: momentum > 0 ? this.buffer(s, 'momentum_buffer', p) : null,
      },
      {
        lr: g.lr,
        alpha: g.alpha as number,
        eps: g.eps as number,
        weightDecay: g.weightDecay as number,
        momentum,
        centered,
        maximize: g.maximize as boolean,
      },
    );
  }
}
