// gradcheck for float32: compares the analytic directional derivative along random directions
// with a central finite difference.
//
// Why directional: a full Jacobian costs one forward per input element; a random direction v
// checks every element at once (a wrong gradient entry changes <grad, v> almost surely). The
// output is reduced with a random projection r, L = sum(r * f(x)), so any output shape works.
//
// Float32 step and tolerance: the central difference has truncation error O(h^2 f''') and
// rounding error O(eps32 * |L| / h). With eps32 ~ 6e-8 and inputs of order 1, h = 1e-2 balances
// the two near 1e-4 relative; accumulation in the kernels adds ~1e-5. So the default test is
// |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|) with rtol = 1e-2 and
// atol = 1e-3 * (1 + |L|).
//
// Kinks (relu, relu6, hardswish, max): a step that carries some pre-activation across a kink
// measures neither side's derivative. Each direction is therefore tried with steps h, h/4 and
// h/16 and passes if any agrees: fewer elements sit within h|v| of a kink as h shrinks, while
// a wrong gradient disagrees at every step. (At h/16 float32 rounding is still ~1e-4 |L|.)
import { noGrad } from './grad_mode';
import { Generator } from '../random';
import type { Tensor } from '../tensor';

export interface GradcheckOptions {
  /** Name used in the failure message. */
  name?: string;
  /** Finite-difference step (default 1e-2). */
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Random directions per input (default 2). */
  directions?: number;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Worst |analytic - numeric| / tolerance seen (ok when <= 1). */
  worst: number;
  message: string;
}

type Fn = (...inputs: Tensor[]) => Tensor;

function projected(fn: Fn, inputs: Tensor[], r: Float32Array): number {
  return noGrad(() => {
    const y = fn(...inputs);
    let sum = 0;
    const d = y.data;
    for (let i = 0; i < d.length; i++) sum += r[i] * d[i];
    y.dispose();
    return sum;
  });
}

function fillRandom(out: Float32Array, g: Generator): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = g.uniform() * 2 - 1;
  return out;
}

/** Finite difference of L along v (perturbs `input` in place and restores it). */
function numericDerivative(
  fn: Fn,
  inputs: Tensor[],
  index: number,
  v: Float32Array,
  r: Float32Array,
  h: number,
): number {
  const x = inputs[index].data;
  const saved = x.slice();
  for (let i = 0; i < x.length; i++) x[i] = saved[i] + h * v[i];
  const plus = projected(fn, inputs, r);
  for (let i = 0; i < x.length; i++) x[i] = saved[i] - h * v[i];
  const minus = projected(fn, inputs, r);
  x.set(saved);
  return (plus - minus) / (2 * h);
}

/** Runs the check and reports; throws nothing (see assertGradcheck). */
export function gradcheck(
  fn: Fn,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const { name = fn.name || 'fn', eps = 1e-2, rtol = 1e-2, directions = 2, seed = 0 } = options;
  const g = new Generator(seed);
  // Analytic gradients of L = sum(r * y) are the backward of y with upstream gradient r.
  inputs.forEach((t) => t.clearGrad());
  const y = fn(...inputs);
  const r = fillRandom(new Float32Array(y.size), g);
  const L = projected(fn, inputs, r);
  const atol = options.atol ?? 1e-3 * (1 + Math.abs(L));
  const upstream = y.clone();
  upstream.data.set(r);
  y.backward(upstream);
  let worst = 0;
  let message = `gradcheck ${name}: ok`;
  inputs.forEach((input, index) => {
    if (!input.requiresGrad) return;
    const grad = input.grad?.data;
    for (let k = 0; k < directions; k++) {
      const v = fillRandom(new Float32Array(input.size), g);
      let analytic = 0;
      if (grad) for (let i = 0; i < v.length; i++) analytic += grad[i] * v[i];
      let numeric = 0;
      let tolerance = 0;
      let ratio = Infinity;
      for (const step of [eps, eps / 4, eps / 16]) {
        const n = numericDerivative(fn, inputs, index, v, r, step);
        const tol = atol + rtol * Math.max(Math.abs(analytic), Math.abs(n));
        const q = Math.abs(analytic - n) / tol;
        if (q < ratio) [numeric, tolerance, ratio] = [n, tol, q];
        if (q <= 1) break;
      }
      if (ratio > worst) {
        worst = ratio;
        if (ratio > 1)
          message = locate(fn, inputs, index, grad, r, eps, { name, analytic, numeric, tolerance });
      }
    }
  });
  inputs.forEach((t) => t.clearGrad());
  return { ok: worst <= 1, worst, message };
}

/** After a failed direction: finite differences per element (a sample) to say where. */
function locate(
  fn: Fn,
  inputs: Tensor[],
  index: number,
  grad: Float32Array | undefined,
  r: Float32Array,
  eps: number,
  found: { name: string; analytic: number; numeric: number; tolerance: number },
): string {
  const size = inputs[index].size;
  const step = Math.max(1, Math.floor(size / 64));
  let where = -1;
  let worstError = -1;
  let pair = [0, 0];
  for (let i = 0; i < size; i += step) {
    const e = new Float32Array(size);
    e[i] = 1;
    const numeric = numericDerivative(fn, inputs, index, e, r, eps);
    const analytic = grad ? grad[i] : 0;
    if (Math.abs(analytic - numeric) > worstError) {
      worstError = Math.abs(analytic - numeric);
      where = i;
      pair = [analytic, numeric];
    }
  }
  return (
    `gradcheck ${found.name}: input ${index} (shape [${inputs[index].shape}]): directional derivative ` +
    `analytic ${found.analytic.toPrecision(6)} vs numeric ${found.numeric.toPrecision(6)} ` +
    `(tolerance ${found.tolerance.toPrecision(3)}); largest element error ${worstError.toPrecision(4)} ` +
    `at flat index ${where}: analytic ${pair[0].toPrecision(6)} vs numeric ${pair[1].toPrecision(6)}`
  );
}

/** gradcheck that throws an Error with the readable message when it fails. */
export function assertGradcheck(fn: Fn, inputs: Tensor[], options: GradcheckOptions = {}): void {
  const result = gradcheck(fn, inputs, options);
  if (!result.ok) throw new Error(result.message);
}
