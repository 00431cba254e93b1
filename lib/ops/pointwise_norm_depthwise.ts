// A 1x1 convolution, its batch norm and a depthwise convolution, depthwise(act(bn(conv1x1(x)))),
// as one op in training: MobileNetV2's expansion and depthwise conv (ReLU6), EfficientNet's
// (SiLU: the norm's output is stored for the depthwise conv, as in ops/batchnorm_depthwise.ts).
//
// Forward as the ops it replaces: the 1x1 conv sums its output's batch statistics while each
// chunk is in cache, the depthwise kernels normalise that output as they read it
// (ops/batchnorm_depthwise.ts). Backward: the depthwise data gradient with the norm's first pass
// inside (its sums and the masked gradient g), then the 1x1 conv's data and weight gradients
// with the norm's second pass inside (kernels/conv.ts, conv2dBackwardNormApplied): the norm's
// input gradient, as large as the expanded tensor, is not written and read back twice.
// MobileNetV2 at batch 16 on the Xeon, 16 x 112 x 112 x 96: the norm's backward, then the conv's
// two gradients 20-23 ms; fused 12-15 ms (a C++ harness, cold caches, median of 11); training
// steps (ten alternating): MobileNetV2 1.10x, EfficientNet-B0 1.07x.
import * as dense from '../kernels/conv';
import type { Conv2dOptions } from '../kernels/conv';
import * as norm from '../kernels/batchnorm';
import * as depthwise from '../kernels/depthwise';
import type { Tensor } from '../tensor';
import type { BatchNormOptions } from './batchnorm_options';
import { NormStatistics, normStatistics, sumsBuffer } from './batchnorm_statistics';
import { record } from './record';

// The 1x1 conv's output statistics, one buffer per channel count: normStatistics reads it
// right after the conv fills it.
const statsBuffers = new Map<number, Float64Array>();
function statsBuffer(channels: number): Float64Array {
  let stats = statsBuffers.get(channels);
  if (!stats) {
    stats = new Float64Array(1 + 2 * channels);
    statsBuffers.set(channels, stats);
  }
  return stats;
}

/**
 * depthwiseConv(act(bn(conv1x1(x, pointwiseWeight))), depthwiseWeight, depthwiseBias) in
 * training: the 1x1 conv without bias (stride 1, no padding, one group), `normOptions` as
 * F.batchNorm's with training true and any activation (not residual,
 * channels, excite, accumulateGradInto or batchStats); `convOptions` as F.conv2d's for the
 * depthwise conv (groups = the expanded channels, weight [C, 1, KH, KW]); `batchStats`
 * receives the depthwise output's batch statistics (for a norm after it).
 */
export function pointwiseNormDepthwise(
  x: Tensor,
  pointwiseWeight: Tensor,
  normOptions: BatchNormOptions,
  depthwiseWeight: Tensor,
  depthwiseBias: Tensor | null,
  convOptions: Conv2dOptions,
  batchStats?: Float64Array,
): Tensor {
  const op = 'pointwiseNormDepthwise';
  const activation = normOptions.activation ?? 'none';
  if (normOptions.training !== true)
    throw new RangeError(`convkit.${op}: the norm must be in training (batch statistics)`);
  if (
    normOptions.residual ||
    normOptions.excite ||
    normOptions.accumulateGradInto ||
    normOptions.batchStats ||
    normOptions.channels !== undefined
  )
    throw new RangeError(
      `convkit.${op}: the norm cannot have residual, excite, channels, batchStats or accumulateGradInto`,
    );
  const C = pointwiseWeight.shape[0];
  const hStats = statsBuffer(C);
  const h = dense.conv2d(x, pointwiseWeight, null, {}, { batchStats: hStats });
  const { weight: gamma = null, bias: beta = null } = normOptions;
  const normOfH = { ...normOptions, batchStats: hStats };
  // SiLU: the norm's output is stored for the depthwise conv (as ops/batchnorm_depthwise.ts).
  let normed: Tensor | null = null;
  let stats: NormStatistics;
  if (activation === 'silu') {
    const out = norm.batchNorm2dForwardTraining(h, { ...normOfH, weight: gamma, bias: beta });
    normed = out.y;
    stats = { mean: out.saveMean, invstd: out.saveInvstd, affine: out.saveAffine! };
  } else {
    stats = normStatistics(h, normOfH, true);
  }
  const { stride, pad, dilation } = dense.resolveConv2dOptions(
    op,
    convOptions,
    depthwiseWeight.shape[2],
    depthwiseWeight.shape[3],
  );
  const dwOptions = { stride, padding: pad, dilation };
  const inputNorm = normed ? undefined : { affine: stats.affine, activation };
  const y = depthwise.depthwiseConv2d(normed ?? h, depthwiseWeight, depthwiseBias, {
    ...dwOptions,
    batchStats,
    inputNorm,
  });
  const inputs = [x, pointwiseWeight, gamma, beta, depthwiseWeight, depthwiseBias];
  return record(y, op, inputs, (dy, into) => {
    let grads: ReturnType<typeof dense.conv2dBackwardNormApplied> | null = null;
    const normParameters = gamma?.requiresGrad === true || beta?.requiresGrad === true;
    if (x.requiresGrad || pointwiseWeight.requiresGrad || normParameters) {
      // The norm's first pass inside the depthwise data gradient, its second inside the 1x1's.
      const sums = sumsBuffer(C);
      const g = depthwise.depthwiseConv2dBackwardData(dy, depthwiseWeight, h.shape, dwOptions, {
        h,
        mean: stats.mean,
        affine: stats.affine,
        activation,
        sums,
      });
      grads = dense.conv2dBackwardNormApplied(
        x,
        pointwiseWeight,
        { h, g, mean: stats.mean, invstd: stats.invstd, gamma, training: true, sums },
        {
          dx: x.requiresGrad,
          accumulateInto: into[0] ?? null,
          dWeight: pointwiseWeight.requiresGrad,
          normParameters,
        },
      );
      g.dispose();
    }
    let dWeight: Tensor | null = null;
    let dBias: Tensor | null = null;
    if (depthwiseWeight.requiresGrad || depthwiseBias?.requiresGrad) {
      const dwGrads = depthwise.depthwiseConv2dBackwardWeights(
        normed ?? h,
        dy,
        depthwiseWeight.shape,
        { ...dwOptions, inputNorm },
        depthwiseBias !== null,
      );
      dWeight = dwGrads.dWeight;
      dBias = dwGrads.dBias;
    }
    const dGamma = gamma ? (grads?.dGamma ?? null) : null;
    const dBeta = beta ? (grads?.dBeta ?? null) : null;
    if (!gamma) grads?.dGamma?.dispose();
    if (!beta) grads?.dBeta?.dispose();
    return [grads?.dx ?? null, grads?.dWeight ?? null, dGamma, dBeta, dWeight, dBias];
  });
}
