// Shape ops with autograd: cat / split along any axis, permute, constant pad, flatten.
import { checkInt, invalidRange } from '../check';
import * as kernels from '../kernels/shape';
import type { Tensor } from '../tensor';
import { record } from './record';

function normalizeAxis(op: string, axis: number, ndim: number): number {
  checkInt(op, 'axis', Math.abs(axis));
  if (axis < -ndim || axis >= ndim)
    throw invalidRange(op, 'axis', `an axis in [-${ndim}, ${ndim})`, axis);
  return axis < 0 ? axis + ndim : axis;
}

/** Concatenates along `axis` (NHWC: -1 is channels, as DenseNet and Inception use). */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  const out = kernels.concat(tensors, axis);
  const a = tensors.length ? normalizeAxis('cat', axis, tensors[0].ndim) : 0;
  const sizes = tensors.map((t) => t.shape[a]);
  return record(out, 'cat', [...tensors], (g) => {
    const parts = kernels.split(g, sizes, a);
    return parts.map((p, i) => (tensors[i].requiresGrad ? p : null));
  });
}

/** Splits along `axis` into chunks of `sizeOrSections` (a size, or a list of sizes), as torch.split. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, x.ndim);
  const length = x.shape[a];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    const size = checkInt('split', 'size', sizeOrSections, 1);
    sizes = [];
    for (let start = 0; start < length; start += size) sizes.push(Math.min(size, length - start));
  } else {
    sizes = [...sizeOrSections];
  }
  const parts = kernels.split(x, sizes, a);
  let offset = 0;
  return parts.map((part, i) => {
    const before = offset;
    offset += sizes[i];
    const after = length - offset;
    // Each chunk's gradient is the chunk padded with zeros back to x's extent along the axis.
    return record(part, 'split', [x], (g) => [
      kernels.pad(
        g,
        x.shape.map((_, d) => (d === a ? ([before, after] as const) : ([0, 0] as const))),
      ),
    ]);
  });
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const y = kernels.permute(x, perm);
  return record(y, 'permute', [x], (g) => [kernels.permute(g, kernels.inversePermutation(perm))]);
}

/** Constant padding, one [before, after] pair per dimension (NHWC: [[0,0],[t,b],[l,r],[0,0]]). */
export function pad(x: Tensor, padding: readonly (readonly [number, number])[], value = 0): Tensor {
  const y = kernels.pad(x, padding, value);
  return record(y, 'pad', [x], (g) => [kernels.padBackward(g, padding)]);
}

/**
 * Flattens all but the batch dimension. A 4-D NHWC tensor is flattened in channel-major
 * order (as PyTorch flattens NCHW), so torchvision's classifier weights (AlexNet, VGG) apply.
 */
export function flatten(x: Tensor): Tensor {
  if (x.ndim !== 4) return x.reshape(x.shape[0] ?? 1, -1);
  if (x.shape[1] === 1 && x.shape[2] === 1) return x.reshape(x.shape[0], -1); // same order
  const y = kernels.flattenChannelMajor(x);
  const inputShape = x.shape;
  return record(y, 'flatten', [x], (g) => [kernels.flattenChannelMajorBackward(g, inputShape)]);
}
