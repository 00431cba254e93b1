// torch.optim.RMSprop. No fused kernel yet: a single JS pass per parameter (RMSprop is rarely
// the hot path in convnet training; SGD and Adam/AdamW run natively).
import { checkNumber, invalidRange } from '../check';
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
    const { lr } = g;
    const alpha = g.alpha as number,
      eps = g.eps as number,
      wd = g.weightDecay as number;
    const momentum = g.momentum as number,
      centered = g.centered as boolean;
    const sign = g.maximize ? -1 : 1;
    const x = p.data,
      dx = grad.data;
    const sq = this.buffer(s, 'square_avg', p).data;
    const gAvg = centered ? this.buffer(s, 'grad_avg', p).data : null;
    const buf = momentum > 0 ? this.buffer(s, 'momentum_buffer', p).data : null;
    for (let i = 0; i < x.length; i++) {
      const d = sign * dx[i] + wd * x[i];
      sq[i] = alpha * sq[i] + (1 - alpha) * d * d;
      let avg: number;
      if (gAvg) {
        gAvg[i] = alpha * gAvg[i] + (1 - alpha) * d;
        avg = Math.sqrt(sq[i] - gAvg[i] * gAvg[i]) + eps;
      } else {
        avg = Math.sqrt(sq[i]) + eps;
      }
      if (buf) {
        buf[i] = momentum * buf[i] + d / avg;
        x[i] -= lr * buf[i];
      } else {
        x[i] -= (lr * d) / avg;
      }
    }
  }
}
