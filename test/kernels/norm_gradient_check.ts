// Shared by the tests of the convolutions that run a batch norm inside (depthwise_input_norm,
// conv_norm_gradient, conv_input_norm): the norm applied in JS, and the kernel's g and sums
// against the plain data gradient masked and summed in JS, and the norm's backward from those
// sums against its two-pass backward.
import type { Tensor } from '../../lib';
import { batchNorm2dBackward } from '../../lib/kernels/batchnorm';
import { maxRelativeError } from '../helpers';

export type NormActivation = 'none' | 'relu' | 'relu6' | 'silu';

const f = Math.fround;

export interface NormGradientResult {
  /** The norm's input (its normalised channels only), gamma and training statistics. */
  h: Tensor;
  gamma: Tensor;
  stats: { saveMean: Tensor; saveInvstd: Tensor; saveAffine: Tensor };
  activation: NormActivation;
  /** The conv's plain data gradient, and the kernel's g and sums. */
  plain: Tensor;
  masked: Tensor;
  sums: Float64Array;
}

/** Throws naming `what` and the pass when g, the sums or the norm's gradients are off. */
export function expectNormGradient(what: string, r: NormGradientResult): void {
  const { h, gamma, stats, activation, plain, masked, sums } = r;
  const C = h.shape[3];
  const affine = stats.saveAffine.data;
  // g = plain masked by the activation's derivative at the recomputed pre-activation.
  const want = new Float32Array(plain.size);
  const wantSums = new Float64Array(2 * C);
  for (let i = 0; i < plain.size; i++) {
    const ch = i % C;
    const z = f(
      f(f(f(h.data[i] - affine[ch]) - affine[C + ch]) * affine[2 * C + ch]) + affine[3 * C + ch],
    );
    const s = 1 / (1 + Math.exp(-z));
    const d =
      activation === 'relu'
        ? Number(z > 0)
        : activation === 'relu6'
          ? Number(z > 0 && z < 6)
          : activation === 'silu'
            ? s * (1 + z * (1 - s))
            : 1;
    want[i] = plain.data[i] * d;
    wantSums[ch] += want[i];
    wantSums[C + ch] += want[i] * (h.data[i] - stats.saveMean.data[ch]);
  }
  const scale = Math.max(1, ...Array.from(wantSums, Math.abs));
  const common = {
    weight: gamma,
    mean: stats.saveMean,
    invstd: stats.saveInvstd,
    activation,
    affine: stats.saveAffine,
  };
  const fromSums = batchNorm2dBackward(h, masked, { ...common, sums });
  const twoPasses = batchNorm2dBackward(h, plain, common);
  const checks: Array<[string, { error: number; index: number }, number]> = [
    ['g', maxRelativeError(masked.data, want), 1e-5],
    [
      'sums',
      maxRelativeError(
        Array.from(sums, (v) => v / scale),
        Array.from(wantSums, (v) => v / scale),
      ),
      1e-5,
    ],
    ['norm dx', maxRelativeError(fromSums.dx.data, twoPasses.dx.data), 1e-4],
    ['norm dgamma', maxRelativeError(fromSums.dweight!.data, twoPasses.dweight!.data), 1e-4],
    ['norm dbeta', maxRelativeError(fromSums.dbias!.data, twoPasses.dbias!.data), 1e-4],
  ];
  for (const [pass, e, tolerance] of checks)
    if (!(e.error <= tolerance))
      throw new Error(`${what} ${pass}: error ${e.error} at ${e.index} > ${tolerance}`);
}

/**
 * act(((x - meanHi) - meanLo) * scale + shift) of the first C channels of x's rows (width floats
 * apart, default C), in float32 steps like the batch-norm apply kernel; rows of C out.
 */
export function applyNormReference(
  x: Float32Array,
  C: number,
  affine: Float32Array,
  activation: NormActivation,
  width = C,
): Float32Array {
  const rows = x.length / width;
  const out = new Float32Array(rows * C);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < C; c++) {
      const v = x[r * width + c];
      const z = f(f(f(f(v - affine[c]) - affine[C + c]) * affine[2 * C + c]) + affine[3 * C + c]);
      out[r * C + c] =
        activation === 'relu'
          ? Math.max(z, 0)
          : activation === 'relu6'
            ? Math.min(Math.max(z, 0), 6)
            : activation === 'silu'
              ? z / (1 + Math.exp(-z))
              : z;
    }
  return out;
}
