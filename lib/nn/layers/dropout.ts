import { checkNumber, invalidRange } from '../../check';
import * as F from '../../ops';
import { defaultGenerator } from '../../random';
import { tensor, Tensor } from '../../tensor';
import { Module } from '../module';

function probability(op: string, p: number): number {
  checkNumber(op, 'p', p);
  if (!(p >= 0 && p <= 1)) throw invalidRange(op, 'p', 'a probability in [0, 1]', p);
  return p;
}

/** nn.Dropout: element-wise, identity in eval. */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    _options: { inplace?: boolean } = {},
  ) {
    super();
    probability('Dropout', p);
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, { training: this.training });
  }
}

/**
 * torchvision's StochasticDepth: drops whole residual branches. 'row' draws one Bernoulli
 * per sample, 'batch' one for the whole batch; kept branches are scaled by 1/(1-p);
 * identity in eval.
 */
export class StochasticDepth extends Module {
  constructor(
    readonly p: number,
    readonly mode: 'row' | 'batch' = 'row',
  ) {
    super();
    probability('StochasticDepth', p);
    if (mode !== 'row' && mode !== 'batch')
      throw invalidRange('StochasticDepth', 'mode', "'row' or 'batch'", mode);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const survival = 1 - this.p;
    const draws = this.mode === 'row' ? x.shape[0] : 1;
    const noise = new Float32Array(draws);
    for (let i = 0; i < draws; i++)
      noise[i] = defaultGenerator.uniform() < survival ? (survival > 0 ? 1 / survival : 0) : 0;
    const shape = x.shape.map((d, i) => (i === 0 && this.mode === 'row' ? d : 1));
    return F.mul(x, tensor(noise, shape));
  }
}
