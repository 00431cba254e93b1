// sum / mean over any set of axes (keepdim), and sumToShape: the reduction that turns the
// gradient of a broadcasting op back into its operand's shape.
import { invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Shape, Tensor, empty, requireTensor, sameShape } from '../tensor';

export interface ReduceNative {
  reduceSum(
    input: Float32Array,
    shape: number[],
    axes: number[],
    scale: number,
    out: Float32Array,
  ): void;
  reduceSumReference: ReduceNative['reduceSum'];
  spatialDot(
    a: Float32Array,
    b: Float32Array,
    outer: number,
    inner: number,
    C: number,
    out: Float32Array,
  ): void;
  spatialDotReference: ReduceNative['spatialDot'];
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

/** The axes sumToShape reduces to turn a tensor of `full` shape into `shape`, or null. */
function broadcastAxes(full: Shape, shape: Shape): number[] | null {
  const lead = full.length - shape.length;
  const ok = lead >= 0 && shape.every((d, i) => d === full[lead + i] || d === 1);
  if (!ok) return null;
  const axes: number[] = [];
  for (let i = 0; i < full.length; i++)
    if (i < lead || (shape[i - lead] === 1 && full[i] !== 1)) axes.push(i);
  return axes;
}

/** Sums `x` over the axes where `shape` broadcasts to it (the gradient of a broadcast). */
export function sumToShape(x: Tensor, shape: Shape, scale = 1): Tensor {
  const op = 'sumToShape';
  requireTensor(op, 'input', x);
  const axes = broadcastAxes(x.shape, shape);
  if (!axes) throw invalidRange(op, 'shape', `a shape that broadcasts to [${x.shape}]`, [...shape]);
  const out = empty(shape);
  reduceNative.reduceSum(x.data, [...x.shape], axes, scale, out.data);
  return out;
}

/**
 * sumToShape(a * b, shape) for two tensors of one shape, in one pass without the product
 * tensor when the reduced axes are consecutive (the gradient of squeeze-excitation's
 * [N, H, W, C] x [N, 1, 1, C] scale: outer N, inner H*W); null when they are not (the caller
 * multiplies and reduces).
 */
export function productSumToShape(a: Tensor, b: Tensor, shape: Shape): Tensor | null {
  const axes = broadcastAxes(a.shape, shape);
  if (!axes || axes.length === 0 || !sameShape(a.shape, b.shape)) return null;
  if (axes[axes.length - 1] - axes[0] !== axes.length - 1) return null;
  const size = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);
  const outer = size(a.shape.slice(0, axes[0]));
  const inner = size(axes.map((i) => a.shape[i]));
  const C = size(a.shape.slice(axes[axes.length - 1] + 1));
  const out = empty(shape);
  reduceNative.spatialDot(a.data, b.data, outer, inner, C, out.data);
  return out;
}
