// A depthwise convolution of a batch norm's output, conv(act(bn(x))), as one op.
//
// ReLU / ReLU6 / no activation: act(bn(x)) is never stored; the depthwise kernels normalise
// the input rows they read a few at a time in cache (kernels/depthwise.ts, `inputNorm`), and
// the weight gradient reads x through the norm again. MobileNetV2's expansion norm and its
// depthwise conv: the norm's apply pass (read x, write its output) and the conv's read of that
// output become one read of x, and the output's memory is never taken.
// SiLU: act(bn(x)) is stored as usual (recomputing the SiLU in the weight gradient cost more,
// 16x112x112x96: +2.2 ms, than the stored tensor's passes save, -0.4 ms forward).
//
// Backward, either way: the conv's data gradient with the norm's first pass inside (its sums
// and the masked gradient g, taken while each run of rows is in cache), then the norm's second
// pass from those sums (kernels/batchnorm.ts, `sums`), and the conv's weight gradient.
import { resolveConv2dOptions } from '../kernels/conv';
import type { Conv2dOptions } from '../kernels/conv';
import * as norm from '../kernels/batchnorm';
import * as depthwise from '../kernels/depthwise';
import type { Tensor } from '../tensor';
import type { BatchNormOptions } from './batchnorm_options';
import {
  NormStatistics,
  normBackwardInsideConv,
  normStatistics,
  runningStatistics,
} from './batchnorm_statistics';
import { record } from './record';

/**
 * depthwiseConv(act(bn(x)), weight, bias): `normOptions` as F.batchNorm's (not residual,
 * channels, excite or accumulateGradInto), `convOptions` as F.conv2d's with groups = the
 * channels of x and a weight of [C, 1, KH, KW]; `batchStats` receives the conv output's batch
 * statistics (for a norm after it).
 */
export function batchNormDepthwise(
  x: Tensor,
  normOptions: BatchNormOptions,
  weight: Tensor,
  bias: Tensor | null,
  convOptions: Conv2dOptions,
  batchStats?: Float64Array,
): Tensor {
  const op = 'batchNormDepthwise';
  const activation = normOptions.activation ?? 'none';
  if (
    normOptions.residual ||
    normOptions.excite ||
    normOptions.accumulateGradInto ||
    normOptions.channels !== undefined
  )
    throw new RangeError(
      `convkit.${op}: the norm cannot have residual, excite, channels or accumulateGradInto`,
    );
  const { weight: gamma = null, bias: beta = null } = normOptions;
  const training = normOptions.training ?? false;
  // SiLU: the norm's output is stored (see the head of this file).
  let normed: Tensor | null = null;
  let stats: NormStatistics;
  if (activation === 'silu' && training) {
    const out = norm.batchNorm2dForwardTraining(x, { ...normOptions, weight: gamma, bias: beta });
    normed = out.y;
    stats = { mean: out.saveMean, invstd: out.saveInvstd, affine: out.saveAffine! };
  } else {
    stats = normStatistics(x, normOptions, training);
    if (activation === 'silu')
      normed = norm.batchNorm2dForwardEval(x, {
        ...runningStatistics(normOptions),
        weight: gamma,
        bias: beta,
        eps: normOptions.eps,
        activation,
      });
  }
  const { stride, pad, dilation } = resolveConv2dOptions(
    op,
    convOptions,
    weight.shape[2],
    weight.shape[3],
  );
  const dwOptions = { stride, padding: pad, dilation };
  const inputNorm = normed ? undefined : { affine: stats.affine, activation };
  const y = depthwise.depthwiseConv2d(normed ?? x, weight, bias, {
    ...dwOptions,
    batchStats,
    inputNorm,
  });
  return record(y, op, [x, gamma, beta, weight, bias], (dy) => {
    // The norm's first pass (its sums, and g in place of the data gradient) runs inside the
    // conv's data gradient, while each run of it is in cache.
    const [dx, dGamma, dBeta] = normBackwardInsideConv(
      x,
      stats,
      { gamma, beta, training, activation },
      (sums) =>
        depthwise.depthwiseConv2dBackwardData(dy, weight, x.shape, dwOptions, {
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
      const grads = depthwise.depthwiseConv2dBackwardWeights(
        normed ?? x,
        dy,
        weight.shape,
        { ...dwOptions, inputNorm },
        bias !== null,
      );
      dWeight = grads.dWeight;
      dBias = grads.dBias;
    }
    return [dx, dGamma, dBeta, dWeight, dBias];
  });
}
