// F.batchNorm with autograd, PyTorch's semantics: in training, normalise with the batch mean
// and biased variance and update running stats (unbiased variance) in place; in eval, use the
// running stats. Fused ReLU / ReLU6 / SiLU optional (one pass less over memory).
import * as kernels from '../kernels/batchnorm';
import { empty, Tensor } from '../tensor';
import type { BatchNormOptions } from './batchnorm_options';
import { batchNormExcite } from './batchnorm_excite';
import { runningStatistics } from './batchnorm_statistics';
import { record } from './record';

export type { BatchNormOptions } from './batchnorm_options';

export function batchNorm(x: Tensor, options: BatchNormOptions = {}): Tensor {
  if (options.excite) return batchNormExcite(x, options, options.excite);
  const { weight = null, bias = null, eps = 1e-5, activation = 'none' } = options;
  const residual = options.residual ?? null;
  const training = options.training ?? false;
  let y: Tensor;
  let mean: Tensor;
  let invstd: Tensor;
  let affine: Tensor | null = null;
  if (training) {
    const out = kernels.batchNorm2dForwardTraining(x, {
      ...options,
      weight,
      bias,
      eps,
      activation,
    });
    y = out.y;
    mean = out.saveMean;
    invstd = out.saveInvstd;
    affine = out.saveAffine;
  } else {
    const { runningMean, runningVar } = runningStatistics(options);
    const C = options.channels ?? x.shape[3];
    affine = activation === 'none' || residual ? null : empty([4 * C]);
    y = kernels.batchNorm2dForwardEval(x, {
      channels: options.channels,
      runningMean,
      runningVar,
      weight,
      bias,
      eps,
      activation,
      saveAffine: affine,
      residual,
    });
    mean = runningMean;
    // The backward needs 1/sqrt(var + eps) of the statistics the forward used.
    invstd = kernels.runningInvstd(runningVar, eps);
  }
  return record(y, 'batchNorm', [x, weight, bias, residual], (dy) => {
    // With a residual: the gradient of the sum, g (dy masked by the activation of y), goes to
    // the residual as it is; the batch-norm backward masks dy by y itself and writes g out in
    // its first pass when the residual needs it (no separate masking pass).
    const maskedGradient = residual?.requiresGrad === true && activation !== 'none';
    const into = x.requiresGrad && options.accumulateGradInto ? options.accumulateGradInto() : null;
    const grads = kernels.batchNorm2dBackward(x, dy, {
      channels: options.channels,
      accumulateInto: into,
      weight,
      mean,
      invstd,
      training,
      activation,
      // With the forward's affine the backward does not read y (one tensor less to stream).
      y: affine || activation === 'none' ? null : y,
      affine,
      parameterGradients: weight?.requiresGrad === true || bias?.requiresGrad === true,
      maskedGradient,
    });
    return [
      x.requiresGrad && !into ? grads.dx : null,
      grads.dweight,
      grads.dbias,
      residual?.requiresGrad ? (maskedGradient ? grads.g : dy) : null,
    ];
  });
}
