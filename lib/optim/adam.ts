import { checkNumber, invalidRange } from '../check';
import { adamStep, adamwStep } from '../kernels/optim';
import type { Tensor } from '../tensor';
import { GroupOptions, Optimizer, OptimizerGroup, ParamGroupSpec, ParamState } from './optimizer';

export interface AdamOptions extends GroupOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

function validateAdam(name: string, g: OptimizerGroup, i: number): void {
  if (checkNumber(name, `group ${i} lr`, g.lr) < 0)
    throw invalidRange(name, 'lr', 'a number >= 0', g.lr);
  const betas = g.betas as [number, number];
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => b >= 0 && b < 1))
    throw invalidRange(name, 'betas', 'two numbers in [0, 1)', betas);
}

/** torch.optim.Adam: L2 weight decay added to the gradient. */
export class Adam extends Optimizer {
  constructor(params: Tensor[] | ParamGroupSpec[], options: AdamOptions = {}, name = 'Adam') {
    super(
      params,
      {
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        amsgrad: false,
        maximize: false,
        ...options,
      },
      name,
    );
  }

  protected validateGroup(g: OptimizerGroup, i: number): void {
    validateAdam(this.name, g, i);
  }

  protected step1(
    p: Tensor,
    grad: Tensor,
    g: OptimizerGroup,
    s: ParamState,
    decoupled: boolean,
  ): void {
    const state = {
      expAvg: this.buffer(s, 'exp_avg', p),
      expAvgSq: this.buffer(s, 'exp_avg_sq', p),
      maxExpAvgSq: g.amsgrad ? this.buffer(s, 'max_exp_avg_sq', p) : null,
    };
    const options = {
      lr: g.lr,
      betas: g.betas as [number, number],
      eps: g.eps as number,
      weightDecay: g.weightDecay as number,
      amsgrad: g.amsgrad as boolean,
      maximize: g.maximize as boolean,
    };
    (decoupled ? adamwStep : adamStep)(p, grad, state, options, s.step);
  }

  protected update(p: Tensor, grad: Tensor, g: OptimizerGroup, s: ParamState): void {
    this.step1(p, grad, g, s, false);
  }
}

/** torch.optim.AdamW: decoupled weight decay p *= 1 - lr * weightDecay (default 1e-2). */
export class AdamW extends Adam {
  constructor(params: Tensor[] | ParamGroupSpec[], options: AdamOptions = {}) {
    super(params, { weightDecay: 1e-2, ...options }, 'AdamW');
  }

  protected override update(p: Tensor, grad: Tensor, g: OptimizerGroup, s: ParamState): void {
    this.step1(p, grad, g, s, true);
  }
}
