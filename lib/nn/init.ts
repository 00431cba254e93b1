// Weight initialisation as torch.nn.init, drawing from the seedable generator. Each fills a
// tensor in place and returns it.
import { invalidRange } from '../check';
import { defaultGenerator, Generator } from '../random';
import type { Tensor } from '../tensor';

/** fan_in and fan_out of a [out, in, ...kernel] weight, as PyTorch computes them. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2)
    throw invalidRange(
      'init',
      'tensor',
      'at least 2 dimensions to compute fans',
      `shape [${t.shape}]`,
    );
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

export type Nonlinearity = 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'selu';

/** torch.nn.init.calculate_gain */
export function calculateGain(nonlinearity: Nonlinearity, param = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + param * param));
    case 'selu':
      return 3 / 4;
  }
}

let skipping = 0;

/**
 * Builds modules without random initialisation (tensors stay zero): counting parameters or
 * checking structure of big models in a fraction of the time, as torch.nn.utils.skip_init.
 */
export function skipInit<T>(fn: () => T): T {
  skipping++;
  try {
    return fn();
  } finally {
    skipping--;
  }
}

export function uniform_(t: Tensor, low = 0, high = 1, g: Generator = defaultGenerator): Tensor {
  if (skipping) return t;
  g.fillUniform(t.data, low, high);
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1, g: Generator = defaultGenerator): Tensor {
  if (skipping) return t;
  g.fillNormal(t.data, mean, std);
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu). */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = options;
  const { fanIn, fanOut } = fans(t);
  return calculateGain(nonlinearity, a) / Math.sqrt(mode === 'fan_in' ? fanIn : fanOut);
}

export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound, options.generator);
}

export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options), options.generator);
}

/** Normal(mean, std) redrawn until inside [a, b], as torch's trunc_normal_ in effect. */
export function truncNormal_(
  t: Tensor,
  mean = 0,
  std = 1,
  a = -2,
  b = 2,
  g: Generator = defaultGenerator,
): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    let v: number;
    do v = mean + std * g.normal();
    while (v < a || v > b);
    d[i] = v;
  }
  return t;
}

/** PyTorch's default for Conv2d/Linear: kaiming_uniform_(a=sqrt(5)) and a bias in ±1/sqrt(fan_in). */
export function resetLinearLike(
  weight: Tensor,
  bias: Tensor | null,
  g: Generator = defaultGenerator,
): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator: g });
  if (bias) {
    const { fanIn } = fans(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, g);
  }
}
