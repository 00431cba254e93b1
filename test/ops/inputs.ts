// Inputs for gradient checks: seeded, small, and kept away from the kinks of piecewise ops
// (a finite difference that straddles a kink measures neither side's derivative).
import { Generator } from '../../lib/random';
import { Tensor, tensor } from '../../lib/tensor';

export function randomInput(
  shape: number[],
  seed: number,
  options: { avoid?: number[]; margin?: number; scale?: number; requiresGrad?: boolean } = {},
): Tensor {
  const { avoid = [], margin = 0.05, scale = 1, requiresGrad = true } = options;
  const g = new Generator(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let v = (g.uniform() * 2 - 1) * scale;
    for (const kink of avoid)
      if (Math.abs(v - kink) < margin) v = kink + (v >= kink ? margin : -margin);
    values[i] = v;
  }
  const t = tensor(values, shape);
  t.requiresGrad = requiresGrad;
  return t;
}

/** Distinct values spaced by at least `gap` (for max-based ops), shuffled. */
export function distinctInput(shape: number[], seed: number, gap = 0.05): Tensor {
  const g = new Generator(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, (_, i) => (i - size / 2) * gap);
  for (let i = size - 1; i > 0; i--) {
    const j = g.integer(i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
  const t = tensor(values, shape);
  t.requiresGrad = true;
  return t;
}
