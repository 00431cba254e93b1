// A batch norm's statistics without its output, for the ops that apply the norm inside their
// own kernels (ops/batchnorm_excite.ts, ops/batchnorm_depthwise.ts): in training the batch's
// (running statistics updated), else the running ones; affine is what the batch-norm apply
// kernel reads, [meanHi | meanLo | scale | shift].
import * as kernels from '../kernels/batchnorm';
import type { Tensor } from '../tensor';
import type { BatchNormOptions } from './batchnorm_options';
import { needsGrad } from './record';

/** What the norm's statistics are, for the kernels and the backward. */
export interface NormStatistics {
  mean: Tensor;
  invstd: Tensor;
  affine: Tensor;
}

export function normStatistics(
  x: Tensor,
  options: BatchNormOptions,
  training: boolean,
): NormStatistics {
  const { weight = null, bias = null, eps = 1e-5, activation = 'none' } = options;
  if (training) {
    const out = kernels.batchNorm2dTrainingAffine(x, { ...options, weight, bias, eps, activation });
    return { mean: out.saveMean, invstd: out.saveInvstd, affine: out.saveAffine };
  }
  const { runningMean, runningVar } = runningStatistics(options);
  const affine = kernels.batchNorm2dEvalAffine(x, {
    runningMean,
    runningVar,
    weight,
    bias,
    eps,
    activation,
  });
  return { mean: runningMean, invstd: kernels.runningInvstd(runningVar, eps), affine };
}

/** The running statistics an eval-mode norm uses; a TypeError names them when missing. */
export function runningStatistics(options: BatchNormOptions): {
  runningMean: Tensor;
  runningVar: Tensor;
} {
  if (!options.runningMean || !options.runningVar)
    throw new TypeError(
      'convkit.batchNorm: runningMean and runningVar are required when training is false',
    );
  return { runningMean: options.runningMean, runningVar: options.runningVar };
}

// The norm's first-pass sums, one zeroed buffer per channel count reused by every backward
// (a fresh typed array per call would start a young-generation GC, as in
// nn/blocks/conv_norm_activation.ts); a backward uses it only until it returns.
const sumsBuffers = new Map<number, Float64Array>();
export function sumsBuffer(channels: number): Float64Array {
  let sums = sumsBuffers.get(channels);
  if (!sums) {
    sums = new Float64Array(2 * channels);
    sumsBuffers.set(channels, sums);
  }
  return sums.fill(0);
}

/** How the norm ran, for normBackwardInsideConv. */
export interface NormBackwardOptions {
  gamma: Tensor | null;
  beta: Tensor | null;
  training: boolean;
  activation: kernels.BatchNormActivation;
  /** Normalised channels of x (default all). */
  channels?: number;
  /** x's gradient is added into this tensor (x's shape) instead of returned. */
  accumulateGradInto?: (() => Tensor) | null;
}

/**
 * The backward of a norm whose output a convolution read, with the norm's first pass inside the
 * conv's data gradient: `dataGradient(sums)` returns g (the data gradient masked by the
 * activation) and adds the norm's sums into `sums` (2 x channels, zeroed); then the norm's
 * second pass from them. Returns [dx, dGamma, dBeta]; dx is null when x needs no gradient or
 * it was added into accumulateGradInto's tensor. Nothing when neither x nor gamma / beta need one.
 */
export function normBackwardInsideConv(
  x: Tensor,
  stats: NormStatistics,
  options: NormBackwardOptions,
  dataGradient: (sums: Float64Array) => Tensor,
): [Tensor | null, Tensor | null, Tensor | null] {
  const { gamma, beta } = options;
  if (!needsGrad(x, gamma, beta)) return [null, null, null];
  const sums = sumsBuffer(options.channels ?? x.shape[3]);
  const g = dataGradient(sums);
  const into = x.requiresGrad && options.accumulateGradInto ? options.accumulateGradInto() : null;
  const grads = kernels.batchNorm2dBackward(x, g, {
    channels: options.channels,
    accumulateInto: into,
    weight: gamma,
    mean: stats.mean,
    invstd: stats.invstd,
    training: options.training,
    activation: options.activation,
    y: null,
    affine: stats.affine,
    parameterGradients: gamma?.requiresGrad === true || beta?.requiresGrad === true,
    sums,
  });
  g.dispose();
  if (!x.requiresGrad) grads.dx.dispose();
  return [x.requiresGrad && !into ? grads.dx : null, grads.dweight, grads.dbias];
}
