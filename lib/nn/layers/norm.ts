import { checkInt, checkNumber } from '../../check';
import * as F from '../../ops';
import { Tensor, ones, zeros } from '../../tensor';
import { buffer, Module, parameter } from '../module';

export interface BatchNorm2dOptions {
  eps?: number;
  /** Default 0.1; null = cumulative moving average, as PyTorch. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** nn.BatchNorm2d over the channel (last) axis of NHWC input. State keys as PyTorch's. */
export class BatchNorm2d extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  running_mean: Tensor | null;
  running_var: Tensor | null;
  num_batches_tracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  /** Fused activation applied by forward (set by blocks that fuse BN + ReLU / ReLU6 / SiLU). */
  activation: 'none' | 'relu' | 'relu6' | 'silu' = 'none';

  constructor(
    readonly numFeatures: number,
    options: BatchNorm2dOptions = {},
  ) {
    super();
    checkInt('BatchNorm2d', 'numFeatures', numFeatures, 1);
    this.eps = checkNumber('BatchNorm2d', 'eps', options.eps ?? 1e-5);
    this.momentum =
      options.momentum === null
        ? null
        : checkNumber('BatchNorm2d', 'momentum', options.momentum ?? 0.1);
    const affine = options.affine ?? true;
    this.weight = affine ? parameter(ones([numFeatures])) : null;
    this.bias = affine ? parameter(zeros([numFeatures])) : null;
    const track = options.trackRunningStats ?? true;
    this.running_mean = track ? buffer(zeros([numFeatures])) : null;
    this.running_var = track ? buffer(ones([numFeatures])) : null;
    this.num_batches_tracked = track ? buffer(zeros([]), { int64: true }) : null;
  }

  /**
   * bn(x), then the fused activation. With `residual` (x's shape): act(bn(x) + residual) in
   * one pass, a residual block's tail (batchNormAddRelu in nn/blocks sets the activation).
   */
  forward(x: Tensor, residual?: Tensor): Tensor {
    const input = this.pendingInput ?? {};
    this.pendingInput = null;
    const options = this.callOptions();
    return F.batchNorm(x, {
      ...options,
      residual,
      channels: input.channels,
      accumulateGradInto: input.accumulateGradInto,
      batchStats: options.training ? input.batchStats : undefined,
      excite: input.excite,
    });
  }

  /**
   * F.batchNorm's options for one call of this norm, as forward makes them: counts the batch
   * in training (call it once per call). For ops that apply the norm inside another kernel
   * (F.conv2d's inputNorm).
   */
  callOptions(): F.BatchNormOptions {
    // Batch statistics in training, and in eval when no running statistics are tracked.
    const useBatchStats = this.training || this.running_mean === null;
    if (this.training && this.num_batches_tracked) this.num_batches_tracked.data[0] += 1;
    return {
      runningMean: this.running_mean,
      runningVar: this.running_var,
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: this.momentum,
      numBatchesTracked: this.num_batches_tracked ? this.num_batches_tracked.data[0] : undefined,
      eps: this.eps,
      activation: this.activation,
    };
  }

  /** forwardWith's input options, read (and cleared) by the forward call it makes. */
  private pendingInput: Pick<
    F.BatchNormOptions,
    'channels' | 'accumulateGradInto' | 'batchStats' | 'excite'
  > | null = null;

  /**
   * forward with F.batchNorm's input options: `channels` (normalise x's first channels) and
   * `accumulateGradInto` — how a DenseNet block reads its shared feature buffer — and
   * `batchStats` (x's statistics as the convolution producing it summed them; used in
   * training), and `excite` (a squeeze-and-excitation scaling the output). It goes through forward, so what wraps forward (the profiler's hooks) sees the
   * call.
   */
  forwardWith(
    x: Tensor,
    input: Pick<
      F.BatchNormOptions,
      'residual' | 'channels' | 'accumulateGradInto' | 'batchStats' | 'excite'
    >,
  ): Tensor {
    this.pendingInput = {
      channels: input.channels,
      accumulateGradInto: input.accumulateGradInto,
      batchStats: input.batchStats,
      excite: input.excite,
    };
    try {
      return this.forward(x, input.residual ?? undefined);
    } finally {
      this.pendingInput = null;
    }
  }
}
