// sum / mean over any set of axes (keepdim), and sumToShape: the reduction that turns the
// gradient of a broadcasting op back into its operand's shape.
import { invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Shape, Tensor, empty, requireTensor } from '../tensor';

export interface ReduceNative {
  reduceSum(
    input: Float32Array,
    shape: number[],
    axes: number[],
    scale: number,
    out: Float32Array,
  ): void;
  reduceSumReference: ReduceNative['reduceSum'];
}

export const reduceNative = native as unknown as ReduceNative;

/** Axes as distinct non-negative integers, sorted (negative ones count from the end). */
export function normalizeAxes(
  op: string,
  ndim: number,
  axes: number | readonly number[] | undefined,
): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  if (!Array.isArray(list))
    throw invalidType(op, 'axes', 'an integer or an array of integers', axes);
  const seen = new Set<number>();
  for (const a of list) {
    if (typeof a !== 'number') throw invalidType(op, 'axes', 'integers', axes);
    if (!Number.isInteger(a) || a < -ndim || a >= ndim)
      throw invalidRange(op, 'axes', `axes in [${-ndim}, ${ndim - 1}]`, axes);
    const n = a < 0 ? a + ndim : a;
    if (seen.has(n)) throw invalidRange(op, 'axes', 'distinct axes', axes);
    seen.add(n);
  }
  return [...seen].sort((x, y) => x - y);
}

function reduce(
  op: string,
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepdim: boolean,
  mean: boolean,
): Tensor {
  requireTensor(op, 'input', x);
  const list = normalizeAxes(op, x.ndim, axes);
  const count = list.reduce((p, a) => p * x.shape[a], 1);
  const outShape = keepdim
    ? x.shape.map((d, i) => (list.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !list.includes(i));
  const out = empty(outShape);
  reduceNative.reduceSum(x.data, [...x.shape], list, mean ? 1 / count : 1, out.data);
  return out;
}

export function sum(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return reduce('sum', x, axes, keepdim, false);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return reduce('mean', x, axes, keepdim, true);
}

/** Backward of sum / mean: the gradient spread back over the reduced axes. */
export function reduceBackward(
  gradOutput: Tensor,
  inputShape: Shape,
  axes: number | readonly number[] | undefined,
  mean: boolean,
): Tensor {
  const op = 'reduceBackward';
  requireTensor(op, 'gradOutput', gradOutput);
  const list = normalizeAxes(op, inputShape.length, axes);
  const count = list.reduce((p, a) => p * inputShape[a], 1);
  const kept = inputShape.map((d, i) => (list.includes(i) ? 1 : d));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { expandScaled } = require('./elementwise') as typeof import('./elementwise');
  return expandScaled(gradOutput.reshape(kept), inputShape, mean ? 1 / count : 1);
}

/** Sums `x` over the axes where `shape` broadcasts to it (the gradient of a broadcast). */
export function sumToShape(x: Tensor, shape: Shape, scale = 1): Tensor {
  const op = 'sumToShape';
  requireTensor(op, 'input', x);
  const lead = x.ndim - shape.length;
  const ok = lead >= 0 && shape.every((d, i) => d === x.shape[lead + i] || d === 1);
  if (!ok) throw invalidRange(op, 'shape', `a shape that broadcasts to [${x.shape}]`, [...shape]);
  const axes: number[] = [];
  for (let i = 0; i < x.ndim; i++)
    if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  const out = empty(shape);
  reduceNative.reduceSum(x.data, [...x.shape], axes, scale, out.data);
  return out;
}
