// torchvision.ops.Conv2dNormActivation: Sequential(conv, norm, activation) with keys 0, 1
// (and 2 for the activation, which holds no parameters). When the norm is BatchNorm2d and the
// activation ReLU / ReLU6 / SiLU, the activation runs fused inside the batch-norm kernel; in
// training, a 1x1 or depthwise convolution hands the batch norm its output's batch statistics
// (summed while each chunk of the output is in cache: one pass over memory less).
import { checkInt } from '../../check';
import type * as F from '../../ops';
import { sumsStatsInCache } from '../../ops/conv';
import { pointwiseNormDepthwise } from '../../ops/pointwise_norm_depthwise';
import type { Tensor } from '../../tensor';
import { ActivationLayer, ReLU } from '../layers/activation';
import { Conv2d, pairOf, Size2 } from '../layers/conv';
import { Sequential } from '../layers/containers';
import { BatchNorm2d } from '../layers/norm';
import { Module } from '../module';
import { fusableActivation } from './fused_sequential';

export interface Conv2dNormActivationOptions {
  stride?: Size2;
  /** Default (k - 1) / 2 * dilation, as torchvision. */
  padding?: Size2;
  groups?: number;
  dilation?: Size2;
  /** Default BatchNorm2d; null for none. */
  normLayer?: ((channels: number) => Module) | null;
  /** Default ReLU; null for none. */
  activationLayer?: ActivationLayer | null;
  /** Default: true only without a norm layer. */
  bias?: boolean;
}

export class Conv2dNormActivation extends Sequential {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Size2 = 3,
    options: Conv2dNormActivationOptions = {},
  ) {
    const op = 'Conv2dNormActivation';
    checkInt(op, 'outChannels', outChannels, 1);
    const [kh, kw] = pairOf(op, 'kernelSize', kernelSize);
    const [dh, dw] = pairOf(op, 'dilation', options.dilation ?? 1);
    const padding =
      options.padding ??
      ([((kh - 1) / 2) * dh, ((kw - 1) / 2) * dw].map(Math.floor) as [number, number]);
    const normLayer =
      options.normLayer === undefined ? (c: number) => new BatchNorm2d(c) : options.normLayer;
    const activationLayer = options.activationLayer === undefined ? ReLU : options.activationLayer;
    const layers: Module[] = [
      new Conv2d(inChannels, outChannels, kernelSize, {
        stride: options.stride ?? 1,
        padding,
        dilation: [dh, dw],
        groups: options.groups ?? 1,
        bias: options.bias ?? normLayer === null,
      }),
    ];
    if (normLayer) layers.push(normLayer(outChannels));
    if (activationLayer) layers.push(new activationLayer());
    super(...layers);
  }

  override forward(x: Tensor): Tensor {
    const [conv, norm, act] = this.children();
    if (!(norm instanceof BatchNorm2d)) return super.forward(x);
    const fused = fusableActivation(act);
    norm.activation = fused ?? 'none';
    const y = conv instanceof Conv2d ? convThenNorm(conv, norm, x) : norm.forward(conv.forward(x));
    return act && !fused ? act.forward(y) : y;
  }

  /**
   * forward(x) * excite(its mean over H and W), a squeeze-and-excitation after this block,
   * in the batch norm's kernels when the norm is BatchNorm2d and the activation fusable
   * (F.batchNorm's `excite`: the unscaled output is never stored); else null, and the caller
   * runs the two itself.
   */
  forwardExcited(x: Tensor, excite: (pooled: Tensor) => Tensor): Tensor | null {
    const [conv, norm, act] = this.children();
    const fused = fusableActivation(act);
    if (!(conv instanceof Conv2d) || !(norm instanceof BatchNorm2d) || (act && !fused)) return null;
    norm.activation = fused ?? 'none';
    const { y, batchStats } = convForNorm(conv, norm, x);
    return norm.forwardWith(y, { batchStats, excite });
  }

  /**
   * depthwise(this(x)) when this is an expansion block whose output only the depthwise block
   * reads (MobileNetV2's inverted residual, EfficientNet's MBConv): in training, this block's
   * norm joins the depthwise conv (F.conv2d's inputNorm: with ReLU, ReLU6 or none its output is
   * never stored; the norm's first backward pass runs inside the conv's data gradient; this
   * block's norm module is then not called itself; a 1x1 expansion without bias runs with it
   * as one op, ops/pointwise_norm_depthwise.ts, whose backward also applies the norm inside the
   * 1x1's gradients). `excite` as forwardExcited's, on the
   * depthwise block. Null where that does not apply: the caller runs the two blocks.
   */
  forwardIntoDepthwise(
    depthwise: Conv2dNormActivation,
    x: Tensor,
    excite?: (pooled: Tensor) => Tensor,
  ): Tensor | null {
    const joined = this.depthwiseConvOutput(depthwise, x);
    return joined && joined.norm.forwardWith(joined.y, { batchStats: joined.batchStats, excite });
  }

  /**
   * forwardIntoDepthwise without the depthwise block's norm: the depthwise conv's output, its
   * batch statistics and that norm (its activation set), for a caller that applies the norm
   * itself (inside the next 1x1 conv: MobileNetV2's projection). Null where forwardIntoDepthwise
   * does not apply.
   */
  depthwiseConvOutput(depthwise: Conv2dNormActivation, x: Tensor): ConvOutput | null {
    const [conv1, norm1, act1] = this.children();
    const [conv2, norm2, act2] = depthwise.children();
    const fused1 = fusableActivation(act1);
    const fused2 = fusableActivation(act2);
    if (!(conv1 instanceof Conv2d) || !(norm1 instanceof BatchNorm2d) || !norm1.training)
      return null;
    if (act1 && !fused1) return null;
    if (!(conv2 instanceof Conv2d) || !(norm2 instanceof BatchNorm2d) || (act2 && !fused2))
      return null;
    const channels = conv1.outChannels;
    if (conv2.options.groups !== channels || conv2.outChannels !== channels) return null;
    norm1.activation = fused1 ?? 'none';
    norm2.activation = fused2 ?? 'none';
    if (conv1.bias === null && isPointwise(conv1)) {
      // The expansion's gradients with its norm's backward inside (ops/pointwise_norm_depthwise).
      const batchStats = norm2.training ? statsBuffer(conv2) : undefined;
      const y = pointwiseNormDepthwise(
        x,
        conv1.weight,
        norm1.callOptions(),
        conv2.weight,
        conv2.bias,
        conv2.options,
        batchStats,
      );
      return { y, batchStats, norm: norm2 };
    }
    const expanded = convForNorm(conv1, norm1, x);
    const inputNorm = { ...norm1.callOptions(), batchStats: expanded.batchStats };
    return { ...convForNorm(conv2, norm2, expanded.y, inputNorm), norm: norm2 };
  }

  /**
   * This block without its norm: the conv's output, its batch statistics (in training, where
   * the conv sums them) and the norm (its activation set), for a caller that applies the norm
   * itself; null unless the norm is BatchNorm2d and the activation fusable.
   */
  convOutput(x: Tensor): ConvOutput | null {
    const [conv, norm, act] = this.children();
    const fused = fusableActivation(act);
    if (!(conv instanceof Conv2d) || !(norm instanceof BatchNorm2d) || (act && !fused)) return null;
    norm.activation = fused ?? 'none';
    return { ...convForNorm(conv, norm, x), norm };
  }
}

/** A conv's output before its norm: what the norm needs to run elsewhere. */
export interface ConvOutput {
  y: Tensor;
  batchStats?: Float64Array;
  norm: BatchNorm2d;
}

// One statistics buffer per convolution, reused every step: the norm reads it before the conv
// runs again. A fresh typed array per call would cost a young-generation GC each time: V8
// starts one whenever it allocates a buffer (over 64 bytes) while the young generation holds
// tens of MB of array buffers, which during a training step it always does.
const statsBuffers = new WeakMap<Conv2d, Float64Array>();

/**
 * conv(x) for a batch norm that follows: in training, a 1x1 or depthwise convolution also sums
 * the output's batch statistics while it is in cache (`batchStats`, to hand to the norm's
 * forwardWith), so the norm reads its input once; otherwise batchStats is undefined.
 */
export function convForNorm(
  conv: Conv2d,
  norm: BatchNorm2d,
  x: Tensor,
  inputNorm?: F.BatchNormOptions,
): { y: Tensor; batchStats?: Float64Array } {
  if (!norm.training || !sumsStatsInCache(x, conv.weight, conv.options))
    return { y: conv.forwardWith(x, { inputNorm }) };
  const batchStats = statsBuffer(conv);
  return { y: conv.forwardWith(x, { batchStats, inputNorm }), batchStats };
}

function statsBuffer(conv: Conv2d): Float64Array {
  let batchStats = statsBuffers.get(conv);
  if (batchStats?.length !== 1 + 2 * conv.outChannels) {
    batchStats = new Float64Array(1 + 2 * conv.outChannels);
    statsBuffers.set(conv, batchStats);
  }
  return batchStats;
}

/** 1x1, stride 1, no padding, one group. */
function isPointwise(conv: Conv2d): boolean {
  const { stride, padding, groups = 1 } = conv.options;
  const [kh, kw] = conv.weight.shape.slice(2);
  return (
    kh === 1 &&
    kw === 1 &&
    groups === 1 &&
    [stride ?? 1].flat().every((s) => s === 1) &&
    [padding ?? 0].flat().every((p) => p === 0)
  );
}

/** norm(conv(x)) with convForNorm's statistics. */
export function convThenNorm(conv: Conv2d, norm: BatchNorm2d, x: Tensor): Tensor {
  const { y, batchStats } = convForNorm(conv, norm, x);
  return batchStats ? norm.forwardWith(y, { batchStats }) : norm.forward(y);
}
