// Batch norm + activation whose output a squeeze-and-excitation scales per sample and channel,
// without storing the unscaled output (native/kernels/batchnorm_excite.h): each pass recomputes
// it from x with the forward's saveAffine. x is NHWC [N, H, W, C]; per-sample arrays (the pooled
// mean, the scale s, their gradients) are [N, 1, 1, C].
import { invalidRange } from '../check';
import { native } from '../native';
import { Tensor, empty, requireTensor } from '../tensor';
import type { BatchNormActivation } from './batchnorm';

export interface BatchNormExciteNative {
  batchNormExcitePool(
    N: number,
    HW: number,
    C: number,
    x: Float32Array,
    affine: Float32Array,
    activation: string,
    pooled: Float32Array,
  ): void;
  batchNormExciteApply(
    N: number,
    HW: number,
    C: number,
    x: Float32Array,
    affine: Float32Array,
    activation: string,
    s: Float32Array,
    out: Float32Array,
  ): void;
  batchNormExciteBackwardSums(
    N: number,
    HW: number,
    C: number,
    x: Float32Array,
    dOut: Float32Array,
    mean: Float32Array,
    affine: Float32Array,
    activation: string,
    sums: Float32Array,
  ): void;
  batchNormExciteBackward(
    N: number,
    HW: number,
    C: number,
    x: Float32Array,
    dOut: Float32Array,
    gamma: Float32Array | null,
    mean: Float32Array,
    invstd: Float32Array,
    affine: Float32Array,
    activation: string,
    s: Float32Array,
    poolGrad: Float32Array,
    sums: Float32Array,
    training: boolean,
    dx: Float32Array,
    dgamma: Float32Array | null,
    dbeta: Float32Array | null,
  ): void;
}

const exciteNative = native as unknown as BatchNormExciteNative;

interface Sizes {
  N: number;
  HW: number;
  C: number;
}

function inputSizes(op: string, x: unknown): Sizes {
  const t = requireTensor(op, 'x', x);
  if (t.ndim !== 4)
    throw invalidRange(op, 'x', 'a 4-D NHWC tensor [N, H, W, C]', `shape [${t.shape}]`);
  return { N: t.shape[0], HW: t.shape[1] * t.shape[2], C: t.shape[3] };
}

/** A per-sample array: [N, 1, 1, C]. */
function perSample(op: string, name: string, value: unknown, { N, C }: Sizes): Float32Array {
  const t = requireTensor(op, name, value);
  const want = [N, 1, 1, C];
  if (t.ndim !== 4 || t.shape.some((d, i) => d !== want[i]))
    throw invalidRange(op, name, `shape [${want}]`, `shape [${t.shape}]`);
  return t.data;
}

function sameAsX(op: string, name: string, value: unknown, x: Tensor): Float32Array {
  const t = requireTensor(op, name, value);
  if (t.shape.length !== x.shape.length || t.shape.some((d, i) => d !== x.shape[i]))
    throw invalidRange(op, name, `shape [${x.shape}] like x`, `shape [${t.shape}]`);
  return t.data;
}

function channels(op: string, name: string, value: unknown, length: number): Float32Array {
  const t = requireTensor(op, name, value);
  if (t.size !== length) throw invalidRange(op, name, `${length} floats`, `${t.size}`);
  return t.data;
}

/** The mean over H, W of h = act(x * scale + shift) (affine: the forward's saveAffine). */
export function batchNormExcitePool(
  x: Tensor,
  affine: Tensor,
  activation: BatchNormActivation,
): Tensor {
  const op = 'batchNormExcitePool';
  const s = inputSizes(op, x);
  const pooled = empty([s.N, 1, 1, s.C]);
  exciteNative.batchNormExcitePool(
    s.N,
    s.HW,
    s.C,
    x.data,
    channels(op, 'affine', affine, 4 * s.C),
    activation,
    pooled.data,
  );
  return pooled;
}

/** h * scale, scale [N, 1, 1, C]. */
export function batchNormExciteApply(
  x: Tensor,
  affine: Tensor,
  activation: BatchNormActivation,
  scale: Tensor,
): Tensor {
  const op = 'batchNormExciteApply';
  const s = inputSizes(op, x);
  const out = empty(x.shape);
  exciteNative.batchNormExciteApply(
    s.N,
    s.HW,
    s.C,
    x.data,
    channels(op, 'affine', affine, 4 * s.C),
    activation,
    perSample(op, 'scale', scale, s),
    out.data,
  );
  return out;
}

export interface ExciteBackwardOptions {
  weight?: Tensor | null;
  /** As batchNorm2dBackward's: saveMean / saveInvstd, or the running statistics. */
  mean: Tensor;
  invstd: Tensor;
  affine: Tensor;
  activation: BatchNormActivation;
  training: boolean;
  scale: Tensor;
}

/**
 * The backward's first pass: [5, N, C] per-sample sums, the first N x C of them the gradient
 * of the scale (scaleGradient reads it out).
 */
export function batchNormExciteBackwardSums(
  x: Tensor,
  dOut: Tensor,
  options: Pick<ExciteBackwardOptions, 'mean' | 'affine' | 'activation'>,
): Tensor {
  const op = 'batchNormExciteBackwardSums';
  const s = inputSizes(op, x);
  const sums = empty([5, s.N, s.C]);
  exciteNative.batchNormExciteBackwardSums(
    s.N,
    s.HW,
    s.C,
    x.data,
    sameAsX(op, 'dOut', dOut, x),
    channels(op, 'mean', options.mean, s.C),
    channels(op, 'affine', options.affine, 4 * s.C),
    options.activation,
    sums.data,
  );
  return sums;
}

/** The gradient of the scale ([N, 1, 1, C]) from batchNormExciteBackwardSums' sums. */
export function scaleGradient(sums: Tensor): Tensor {
  const [, N, C] = sums.shape;
  const ds = empty([N, 1, 1, C]);
  ds.data.set(sums.data.subarray(0, N * C));
  return ds;
}

/**
 * The backward's second pass: dx, and dweight / dbias when `parameterGradients`, for the
 * gradient dOut * scale + poolGrad / (H * W) of h (poolGrad: the pooled mean's, [N, 1, 1, C]).
 */
export function batchNormExciteBackward(
  x: Tensor,
  dOut: Tensor,
  sums: Tensor,
  poolGrad: Tensor,
  options: ExciteBackwardOptions & { parameterGradients: boolean },
): { dx: Tensor; dweight: Tensor | null; dbias: Tensor | null } {
  const op = 'batchNormExciteBackward';
  const s = inputSizes(op, x);
  const dx = empty(x.shape);
  const dweight = options.parameterGradients ? empty([s.C]) : null;
  const dbias = options.parameterGradients ? empty([s.C]) : null;
  exciteNative.batchNormExciteBackward(
    s.N,
    s.HW,
    s.C,
    x.data,
    sameAsX(op, 'dOut', dOut, x),
    options.weight ? channels(op, 'weight', options.weight, s.C) : null,
    channels(op, 'mean', options.mean, s.C),
    channels(op, 'invstd', options.invstd, s.C),
    channels(op, 'affine', options.affine, 4 * s.C),
    options.activation,
    perSample(op, 'scale', options.scale, s),
    perSample(op, 'poolGrad', poolGrad, s),
    channels(op, 'sums', sums, 5 * s.N * s.C),
    options.training,
    dx.data,
    dweight ? dweight.data : null,
    dbias ? dbias.data : null,
  );
  return { dx, dweight, dbias };
}
