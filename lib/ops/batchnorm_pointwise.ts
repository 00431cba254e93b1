// A 1x1 convolution of a batch norm's output, conv(act(bn(x))), as one op in training: the
// norm's output is stored as usual (the conv reads it, and its weight gradient reads it again),
// but in the backward the norm's first pass (its sums, and the masked gradient g) runs inside
// the conv's data gradient, on each run of rows right after the GEMM wrote it, in cache
// (kernels/conv.ts, conv2dBackwardDataNormGradient): the pass reads only x from memory, not the
// gradient again. Then the norm's second pass from those sums (kernels/batchnorm.ts, `sums`).
// DenseNet's norm1 -> conv1 (x a prefix of the block's buffer: `channels`, its gradient added
// into the buffer's: `accumulateGradInto`) and MobileNetV2's projection.
import * as conv from '../kernels/conv';
import type { Conv2dOptions } from '../kernels/conv';
import * as norm from '../kernels/batchnorm';
import type { Tensor } from '../tensor';
import type { BatchNormOptions } from './batchnorm_options';
import { needsGrad, record } from './record';

// The norm's first-pass sums, one buffer per channel count reused by every backward (as in
// ops/batchnorm_depthwise.ts: a fresh typed array per call would start a young-generation GC).
const sumsBuffers = new Map<number, Float64Array>();
function sumsBuffer(channels: number): Float64Array {
  let sums = sumsBuffers.get(channels);
  if (!sums) {
    sums = new Float64Array(2 * channels);
    sumsBuffers.set(channels, sums);
  }
  return sums.fill(0);
}

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
  const out = norm.batchNorm2dForwardTraining(x, { ...normOptions, weight: gamma, bias: beta });
  const normed = out.y;
  const z = conv.conv2d(normed, weight, bias, convOptions, { batchStats });
  return record(z, op, [x, gamma, beta, weight, bias], (dz) => {
    let dx: Tensor | null = null;
    let dGamma: Tensor | null = null;
    let dBeta: Tensor | null = null;
    if (needsGrad(x, gamma, beta)) {
      const sums = sumsBuffer(normed.shape[3]);
      const g = conv.conv2dBackwardDataNormGradient(dz, weight, normed.shape, {
        h: x,
        mean: out.saveMean,
        affine: out.saveAffine!,
        activation,
        sums,
      });
      const into =
        x.requiresGrad && normOptions.accumulateGradInto ? normOptions.accumulateGradInto() : null;
      const grads = norm.batchNorm2dBackward(x, g, {
        channels: normOptions.channels,
        accumulateInto: into,
        weight: gamma,
        mean: out.saveMean,
        invstd: out.saveInvstd,
        training: true,
        activation,
        y: null,
        affine: out.saveAffine,
        parameterGradients: gamma?.requiresGrad === true || beta?.requiresGrad === true,
        sums,
      });
      g.dispose();
      dx = x.requiresGrad && !into ? grads.dx : null;
      if (!x.requiresGrad) grads.dx.dispose();
      dGamma = grads.dweight;
      dBeta = grads.dbias;
    }
    let dWeight: Tensor | null = null;
    let dBias: Tensor | null = null;
    if (weight.requiresGrad || bias?.requiresGrad) {
      const grads = conv.conv2dBackwardWeights(
        normed,
        dz,
        weight.shape,
        convOptions,
        bias !== null,
      );
      dWeight = grads.weight;
      dBias = grads.bias;
    }
    return [dx, dGamma, dBeta, dWeight, dBias];
  });
}
