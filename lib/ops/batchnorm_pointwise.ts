// A 1x1 convolution of a batch norm's output, conv(act(bn(x))), as one op in training: the
// norm's output is never stored. The conv's forward and weight gradient normalise each chunk of
// x's rows in cache right before the GEMM reads it (kernels/conv.ts, `inputNorm`); in the
// backward the norm's first pass (its sums, and the masked gradient g) runs inside the conv's
// data gradient, on each run of rows right after the GEMM wrote it (kernels/conv.ts,
// conv2dBackwardDataNormGradient): the pass reads only x from memory, not the gradient again.
// Then the norm's second pass from those sums (kernels/batchnorm.ts, `sums`).
// DenseNet's norm1 -> conv1 (x a prefix of the block's buffer: `channels`, its gradient added
// into the buffer's: `accumulateGradInto`) and MobileNetV2's projection.
import * as conv from '../kernels/conv';
import type { Conv2dOptions } from '../kernels/conv';
import type { Tensor } from '../tensor';
import type { BatchNormOptions } from './batchnorm_options';
import { normBackwardInsideConv, normStatistics } from './batchnorm_statistics';
import { record } from './record';

/**
 * conv1x1(act(bn(x)), weight, bias) in training: `normOptions` as F.batchNorm's with training
 * true and an activation (not residual or excite), a weight of [Cout, C, 1, 1] with C the
 * normalised channels; `batchStats` receives the conv output's batch statistics (for a norm
 * after it). F.conv2d's `inputNorm` calls it; elsewhere the norm and the conv run as two ops.
 */
export function batchNormPointwise(
  x: Tensor,
  normOptions: BatchNormOptions,
  weight: Tensor,
  bias: Tensor | null,
  convOptions: Conv2dOptions,
  batchStats?: Float64Array,
): Tensor {
  const op = 'batchNormPointwise';
  const activation = normOptions.activation ?? 'none';
  if (normOptions.residual || normOptions.excite || !normOptions.training || activation === 'none')
    throw new RangeError(
      `convkit.${op}: the norm must be training with an activation, without residual or excite`,
    );
  const { weight: gamma = null, bias: beta = null } = normOptions;
  const stats = normStatistics(x, normOptions, true);
  const inputNorm = { affine: stats.affine, activation };
  const z = conv.conv2d(x, weight, bias, convOptions, { batchStats, inputNorm });
  const normedShape = [x.shape[0], x.shape[1], x.shape[2], weight.shape[1]];
  return record(z, op, [x, gamma, beta, weight, bias], (dz) => {
    const [dx, dGamma, dBeta] = normBackwardInsideConv(
      x,
      stats,
      {
        gamma,
        beta,
        training: true,
        activation,
        channels: normOptions.channels,
        accumulateGradInto: normOptions.accumulateGradInto,
      },
      (sums) =>
        conv.conv2dBackwardDataNormGradient(dz, weight, normedShape, {
          h: x,
          mean: stats.mean,
          affine: stats.affine,
          activation,
          sums,
        }),
    );
    let dWeight: Tensor | null = null;
    let dBias: Tensor | null = null;
    if (weight.requiresGrad || bias?.requiresGrad) {
      const grads = conv.conv2dBackwardWeights(
        x,
        dz,
        weight.shape,
        convOptions,
        bias !== null,
        'auto',
        inputNorm,
      );
      dWeight = grads.weight;
      dBias = grads.bias;
    }
    return [dx, dGamma, dBeta, dWeight, dBias];
  });
}
