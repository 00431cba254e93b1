// A batch norm's statistics without its output, for the ops that apply the norm inside their
// own kernels (ops/batchnorm_excite.ts, ops/batchnorm_depthwise.ts): in training the batch's
// (running statistics updated), else the running ones; affine is what the batch-norm apply
// kernel reads, [meanHi | meanLo | scale | shift].
import * as kernels from '../kernels/batchnorm';
import type { Tensor } from '../tensor';
import type { BatchNormOptions } from './batchnorm_options';

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
