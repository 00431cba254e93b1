// F.dropout: zeroes each element with probability p in training and scales the rest by
// 1/(1-p); identity in eval. The mask comes from a counter-based generator seeded from the
// default generator, so a run reproduces exactly after manualSeed whatever the thread count.
import { checkNumber, invalidRange } from '../check';
import * as kernels from '../kernels/dropout';
import { defaultGenerator, Generator } from '../random';
import type { Tensor } from '../tensor';
import { record } from './record';

export interface DropoutOptions {
  training?: boolean;
  generator?: Generator;
}

export function dropout(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  checkNumber('dropout', 'p', p);
  if (!(p >= 0 && p <= 1)) throw invalidRange('dropout', 'p', 'a probability in [0, 1]', p);
  const { training = true, generator = defaultGenerator } = options;
  if (!training || p === 0) return x;
  // 64 fresh bits from the generator choose this call's mask stream.
  const seed = (BigInt(generator.nextUint32()) << 32n) | BigInt(generator.nextUint32());
  const { output, mask } = kernels.dropout(x, { p, seed, counter: 0 });
  return record(output, 'dropout', [x], (g) => [kernels.dropoutBackward(g, mask, p)]);
}
