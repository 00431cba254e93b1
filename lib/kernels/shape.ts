// Data movement on NHWC (or any) tensors: concat / split along an axis, permute (with the
// NHWC <-> NCHW helpers), constant pad and channel-major flatten, each with its backward.
import { checkInt, invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Shape, Tensor, empty, requireTensor } from '../tensor';

export interface ShapeNative {
  concatRows(
    joined: Float32Array,
    parts: Float32Array[],
    rowLengths: number[],
    outer: number,
  ): void;
  concatRowsReference: ShapeNative['concatRows'];
  splitRows: ShapeNative['concatRows'];
  splitRowsReference: ShapeNative['concatRows'];
  copyColumns(
    rows: number,
    width: number,
    src: Float32Array,
    srcStride: number,
    srcOffset: number,
    dst: Float32Array,
    dstStride: number,
    dstOffset: number,
  ): void;
  permute(input: Float32Array, shape: number[], perm: number[], out: Float32Array): void;
  permuteReference: ShapeNative['permute'];
  padConstant(
    input: Float32Array,
    shape: number[],
    before: number[],
    after: number[],
    value: number,
    out: Float32Array,
  ): void;
  padConstantReference: ShapeNative['padConstant'];
  padBackward(
    gradOutput: Float32Array,
    shape: number[],
    before: number[],
    after: number[],
    gradInput: Float32Array,
  ): void;
  padBackwardReference: ShapeNative['padBackward'];
}

export const shapeNative = native as unknown as ShapeNative;

function axisOf(op: string, ndim: number, axis: unknown): number {
  if (typeof axis !== 'number') throw invalidType(op, 'axis', 'an integer', axis);
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim)
    throw invalidRange(op, 'axis', `an axis in [${-ndim}, ${ndim - 1}]`, axis);
  return axis < 0 ? axis + ndim : axis;
}

const product = (dims: readonly number[]): number => dims.reduce((p, d) => p * d, 1);

/** Concatenation along `axis` (along C in NHWC: rows of each input's channels side by side). */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  const op = 'concat';
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw invalidRange(op, 'tensors', 'a non-empty array of Tensors', tensors);
  tensors.forEach((t, i) => requireTensor(op, `tensors[${i}]`, t));
  const first = tensors[0].shape;
  const ax = axisOf(op, first.length, axis);
  tensors.forEach((t, i) => {
    if (
      t.ndim !== first.length ||
      t.shape.some((d: number, k: number) => k !== ax && d !== first[k])
    )
      throw invalidRange(
        op,
        `tensors[${i}]`,
        `shape [${first}] except along axis ${ax}`,
        `shape [${t.shape}]`,
      );
  });
  const outShape = [...first];
  outShape[ax] = tensors.reduce((s, t) => s + t.shape[ax], 0);
  const out = empty(outShape);
  const after = product(first.slice(ax + 1));
  shapeNative.concatRows(
    out.data,
    tensors.map((t) => t.data),
    tensors.map((t) => t.shape[ax] * after),
    product(first.slice(0, ax)),
  );
  return out;
}

/** Splits along `axis` into pieces of the given sizes (concat's backward). */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const op = 'split';
  requireTensor(op, 'input', x);
  const ax = axisOf(op, x.ndim, axis);
  if (!Array.isArray(sizes)) throw invalidType(op, 'sizes', 'an array of integers', sizes);
  sizes.forEach((s, i) => checkInt(op, `sizes[${i}]`, s, 0));
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax])
    throw invalidRange(op, 'sizes', `sizes adding up to ${x.shape[ax]}`, sizes);
  const after = product(x.shape.slice(ax + 1));
  const outputs = sizes.map((s) => empty(x.shape.map((d, k) => (k === ax ? s : d))));
  shapeNative.splitRows(
    x.data,
    outputs.map((t) => t.data),
    sizes.map((s) => s * after),
    product(x.shape.slice(0, ax)),
  );
  return outputs;
}

/**
 * Copies channels [srcOffset, srcOffset + width) of src into channels [dstOffset, ...) of dst,
 * in place: both NHWC (any rank) with the same leading dimensions, channels last. A channel
 * slice into or out of a wider tensor (a DenseNet block's shared feature buffer).
 */
export function copyChannels(
  src: Tensor,
  srcOffset: number,
  dst: Tensor,
  dstOffset: number,
  width: number,
): void {
  const op = 'copyChannels';
  requireTensor(op, 'src', src);
  requireTensor(op, 'dst', dst);
  if (
    src.ndim < 1 ||
    dst.ndim !== src.ndim ||
    src.shape.some((d, k) => k < src.ndim - 1 && d !== dst.shape[k])
  )
    throw invalidRange(
      op,
      'dst',
      `the leading dimensions of src [${src.shape}]`,
      `shape [${dst.shape}]`,
    );
  const srcC = src.shape[src.ndim - 1];
  const dstC = dst.shape[dst.ndim - 1];
  checkInt(op, 'width', width, 0);
  checkInt(op, 'srcOffset', srcOffset, 0);
  checkInt(op, 'dstOffset', dstOffset, 0);
  const fits = (name: string, offset: number, channels: number, of: string) => {
    if (offset + width > channels)
      throw invalidRange(
        op,
        name,
        `at most ${channels - width} (${of} has ${channels} channels)`,
        offset,
      );
  };
  fits('srcOffset', srcOffset, srcC, 'src');
  fits('dstOffset', dstOffset, dstC, 'dst');
  const rows = srcC > 0 ? src.size / srcC : 0;
  shapeNative.copyColumns(rows, width, src.data, srcC, srcOffset, dst.data, dstC, dstOffset);
}

function checkPerm(op: string, ndim: number, perm: unknown): number[] {
  if (
    !Array.isArray(perm) ||
    perm.length !== ndim ||
    [...perm].sort((x, y) => x - y).some((p, i) => p !== i)
  )
    throw invalidRange(op, 'perm', `a permutation of 0..${ndim - 1}`, perm);
  return perm as number[];
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const op = 'permute';
  requireTensor(op, 'input', x);
  const p = checkPerm(op, x.ndim, perm);
  const out = empty(p.map((i) => x.shape[i]));
  shapeNative.permute(x.data, [...x.shape], p, out.data);
  return out;
}

/** The inverse permutation (permute's backward). */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv: number[] = [];
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

export const nhwcToNchw = (x: Tensor): Tensor => permute(x, [0, 3, 1, 2]);
export const nchwToNhwc = (x: Tensor): Tensor => permute(x, [0, 2, 3, 1]);

function padSides(op: string, ndim: number, padding: unknown): [number[], number[]] {
  if (!Array.isArray(padding) || padding.length !== ndim)
    throw invalidRange(op, 'padding', `one [before, after] pair per dim (${ndim})`, padding);
  const before: number[] = [],
    after: number[] = [];
  padding.forEach((side: unknown, i) => {
    if (!Array.isArray(side) || side.length !== 2)
      throw invalidRange(op, `padding[${i}]`, 'a [before, after] pair', side);
    before.push(checkInt(op, `padding[${i}][0]`, side[0], 0));
    after.push(checkInt(op, `padding[${i}][1]`, side[1], 0));
  });
  return [before, after];
}

/** Constant padding: `padding[i] = [before, after]` for every dim i. */
export function pad(x: Tensor, padding: readonly (readonly [number, number])[], value = 0): Tensor {
  const op = 'pad';
  requireTensor(op, 'input', x);
  const [before, after] = padSides(op, x.ndim, padding);
  if (typeof value !== 'number') throw invalidType(op, 'value', 'a number', value);
  const out = empty(x.shape.map((d, i) => d + before[i] + after[i]));
  shapeNative.padConstant(x.data, [...x.shape], before, after, value, out.data);
  return out;
}

export function padBackward(
  gradOutput: Tensor,
  padding: readonly (readonly [number, number])[],
): Tensor {
  const op = 'padBackward';
  requireTensor(op, 'gradOutput', gradOutput);
  const [before, after] = padSides(op, gradOutput.ndim, padding);
  const inShape = gradOutput.shape.map((d, i) => d - before[i] - after[i]);
  if (inShape.some((d) => d < 0))
    throw invalidRange(op, 'padding', `pads within [${gradOutput.shape}]`, padding);
  const gradInput = empty(inShape);
  shapeNative.padBackward(gradOutput.data, inShape, before, after, gradInput.data);
  return gradInput;
}

/** [N, H, W, C] -> [N, C*H*W] in PyTorch's NCHW flatten order (torchvision classifiers). */
export function flattenChannelMajor(x: Tensor): Tensor {
  const op = 'flattenChannelMajor';
  requireTensor(op, 'input', x);
  if (x.ndim !== 4) throw invalidRange(op, 'input', 'a 4-D NHWC tensor', `shape [${x.shape}]`);
  const [N, H, W, C] = x.shape;
  return nhwcToNchw(x).reshape([N, C * H * W]);
}

export function flattenChannelMajorBackward(gradOutput: Tensor, inputShape: Shape): Tensor {
  const op = 'flattenChannelMajorBackward';
  requireTensor(op, 'gradOutput', gradOutput);
  if (inputShape.length !== 4)
    throw invalidRange(op, 'inputShape', 'an NHWC shape', [...inputShape]);
  const [N, H, W, C] = inputShape;
  if (gradOutput.size !== N * C * H * W)
    throw invalidRange(
      op,
      'gradOutput',
      `${N * C * H * W} elements`,
      `shape [${gradOutput.shape}]`,
    );
  return nchwToNhwc(gradOutput.reshape([N, C, H, W]));
}
