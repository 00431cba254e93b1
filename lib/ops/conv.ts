// F.conv2d with autograd: x [N,H,W,Cin], weight [Cout,Cin/groups,KH,KW] (PyTorch's layout).
// groups == Cin (> 1) takes the direct depthwise kernel; everything else the im2col/GEMM or
// grouped-direct paths of kernels/conv.
import * as dense from '../kernels/conv';
import * as depthwise from '../kernels/depthwise';
import type { Tensor } from '../tensor';
import { batchNorm } from './batchnorm';
import { batchNormDepthwise } from './batchnorm_depthwise';
import type { BatchNormOptions } from './batchnorm_options';
import { batchNormPointwise } from './batchnorm_pointwise';
import { record } from './record';

export type Conv2dOptions = dense.Conv2dOptions;

function isDepthwise(x: Tensor, weight: Tensor, options: Conv2dOptions): boolean {
  const groups = options.groups ?? 1;
  return (
    groups > 1 &&
    x.ndim === 4 &&
    weight.ndim === 4 &&
    groups === x.shape[3] &&
    weight.shape[1] === 1
  );
}

function depthwiseConv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: Conv2dOptions,
  batchStats?: Float64Array,
): Tensor {
  const { stride, pad, dilation } = dense.resolveConv2dOptions(
    'conv2d',
    options,
    weight.shape[2],
    weight.shape[3],
  );
  const dwOptions = { stride, padding: pad, dilation };
  const y = depthwise.depthwiseConv2d(x, weight, bias, { ...dwOptions, batchStats });
  return record(y, 'conv2d(depthwise)', [x, weight, bias], (g) => {
    const dx = x.requiresGrad
      ? depthwise.depthwiseConv2dBackwardData(g, weight, x.shape, dwOptions)
      : null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (weight.requiresGrad || bias?.requiresGrad) {
      const grads = depthwise.depthwiseConv2dBackwardWeights(
        x,
        g,
        weight.shape,
        dwOptions,
        bias !== null,
      );
      dw = grads.dWeight;
      db = grads.dBias;
    }
    return [dx, dw, db];
  });
}

/**
 * Whether F.conv2d sums `batchStats` while the output is in cache (1x1 and depthwise
 * convolutions, and stems: up to 4 input channels, which take the direct stem kernel where the
 * ISA has one); other convolutions sum them in a pass of their own after computing y.
 */
export function sumsStatsInCache(x: Tensor, weight: Tensor, options: Conv2dOptions): boolean {
  return isPointwise(weight, options) || isDepthwise(x, weight, options) || isStem(x, options);
}

/** Few input channels, one group, no dilation: conv.cc's stem kernel. */
function isStem(x: Tensor, options: Conv2dOptions): boolean {
  const { groups, dilation } = dense.resolveConv2dOptions('conv2d', options, 1, 1);
  return x.ndim === 4 && x.shape[3] <= 4 && groups === 1 && dilation[0] === 1 && dilation[1] === 1;
}

/** 1x1, stride 1, no padding, one group: a plain GEMM over the pixels. */
function isPointwise(weight: Tensor, options: Conv2dOptions): boolean {
  if (weight.ndim !== 4 || weight.shape[2] !== 1 || weight.shape[3] !== 1) return false;
  const { stride, pad, groups } = dense.resolveConv2dOptions('conv2d', options, 1, 1);
  return groups === 1 && stride[0] === 1 && stride[1] === 1 && pad.every((p) => p === 0);
}

/** What F.conv2d fuses besides y. */
export interface Conv2dOutputs {
  /** Receives y's batch statistics for a batch norm after it (see dense.Conv2dFusion). */
  batchStats?: Float64Array;
  /**
   * x is first normalised by this batch norm (F.batchNorm's options): conv(act(bn(x))) as one
   * op. Depthwise convolutions (not residual, channels, excite or accumulateGradInto): without
   * storing act(bn(x)) except with 'silu', and the norm's first backward pass inside the conv's
   * data gradient (ops/batchnorm_depthwise.ts). 1x1 stride-1 convolutions of one group (not
   * residual or excite; `channels` and `accumulateGradInto` allowed): in training with an
   * activation, the norm's first backward pass inside the conv's data gradient
   * (ops/batchnorm_pointwise.ts); otherwise the norm, then the conv.
   */
  inputNorm?: BatchNormOptions;
}

export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
  outputs: Conv2dOutputs = {},
): Tensor {
  const inputNorm = outputs.inputNorm;
  if (inputNorm && isPointwise(weight, options) && !isDepthwise(x, weight, options)) {
    const { activation = 'none', training = false } = inputNorm;
    if (training && activation !== 'none' && !inputNorm.residual && !inputNorm.excite)
      return batchNormPointwise(x, inputNorm, weight, bias, options, outputs.batchStats);
    return conv2d(batchNorm(x, inputNorm), weight, bias, options, {
      batchStats: outputs.batchStats,
    });
  }
  if (inputNorm) {
    if (!isDepthwise(x, weight, options))
      throw new RangeError(
        `convkit.conv2d: inputNorm needs a depthwise or a 1x1 stride-1 convolution (groups = ${x.shape[3]} input channels, weight [C, 1, KH, KW], or weight [Cout, Cin, 1, 1]); received groups ${options.groups ?? 1} and weight [${weight.shape.join(', ')}]`,
      );
    return batchNormDepthwise(x, inputNorm, weight, bias, options, outputs.batchStats);
  }
  if (isDepthwise(x, weight, options))
    return depthwiseConv2d(x, weight, bias, options, outputs.batchStats);
  const y = dense.conv2d(x, weight, bias, options, { batchStats: outputs.batchStats });
  const pointwise = isPointwise(weight, options);
  return record(y, 'conv2d', [x, weight, bias], (g, into) => {
    // A 1x1 adds into x's gradient so far when the engine offers it (its GEMM with beta = 1);
    // the other paths would only add a buffer of their own, as the engine does.
    const target = pointwise ? (into[0] ?? null) : null;
    const dx = x.requiresGrad
      ? dense.conv2dBackwardData(g, weight, x.shape, options, 'auto', target)
      : null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (weight.requiresGrad || bias?.requiresGrad) {
      const grads = dense.conv2dBackwardWeights(x, g, weight.shape, options, bias !== null);
      dw = grads.weight;
      db = grads.bias;
    }
    return [dx, dw, db];
  });
}
