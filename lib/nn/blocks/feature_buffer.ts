// A dense block's shared feature buffer (DenseNet): one [N, H, W, total] tensor holding the
// block's input and every layer's new features side by side. A layer's input, the
// concatenation of everything before it, is then a prefix of the buffer's channels that its
// batch norm reads in place (F.batchNorm's `channels`), instead of a fresh concatenation per
// layer: a copy of all earlier features per layer, and in the backward a split and an add.
//
// Autograd: each append returns a new tensor over the same memory (the buffer so far), so the
// graph stays acyclic: view_i = append(view_{i-1}, features_i). The buffer's gradient is one
// full-width tensor that the last append's backward makes; every append hands it down to the
// view before, and each layer's batch norm adds its input's gradient into it in place
// (accumulateGradInto). That is sound because the engine runs every reader of view_{i-1} (layer
// i's batch norm, append_i) before view_{i-1}'s producer, which reads the gradient on.
//
// Batch statistics: a channel's batch mean and variance are the same for every layer whose
// norm1 reads it, so in training they are summed once, when the channels enter the buffer
// (the block's input, then each layer's new features), and every norm1 gets its prefix's
// (F.batchNorm's `batchStats`): it reads its input once instead of twice.
import { batchStatistics } from '../../kernels/batchnorm';
import { copyChannels } from '../../kernels/shape';
import { record } from '../../ops/record';
import { empty, type Tensor } from '../../tensor';
import type { BatchNormOptions } from '../../ops/batchnorm_options';
import type { BatchNorm2d } from '../layers/norm';
import { batchNormRelu } from './fused_sequential';

// Statistics arrays reused by every forward (a fresh typed array per call would start a
// young-generation GC, as in conv_norm_activation.ts): each is read before the next call that
// takes the same length, and a block's per-channel statistics only during its forward.
const reusedArrays = new Map<string, Float64Array>();
function reused(use: string, length: number): Float64Array {
  const key = `${use} ${length}`;
  let a = reusedArrays.get(key);
  if (!a) {
    a = new Float64Array(length);
    reusedArrays.set(key, a);
  }
  return a;
}

export class FeatureBuffer {
  /** The buffer's gradient while a backward runs through the block. */
  private grad: Tensor | null = null;
  /** Channels filled when each view was made. */
  private readonly channels = new WeakMap<Tensor, number>();

  /** Batch statistics of channels [0, statsChannels), when summed (training): per channel. */
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private statsChannels = 0;
  private rows = 0;

  private constructor(
    private readonly memory: Tensor,
    /** Whether appended channels get their batch statistics summed (training). */
    private readonly summing: boolean,
  ) {
    const total = summing ? memory.shape[3] : 0;
    this.mean = reused('mean', total);
    this.m2 = reused('m2', total);
  }

  /**
   * A buffer of `total` channels that starts with x's; returns it and its first view.
   * `training`: sum each appended tensor's batch statistics for the norms that read the buffer.
   */
  static start(
    x: Tensor,
    total: number,
    training = false,
  ): { buffer: FeatureBuffer; view: Tensor } {
    const [N, H, W, C] = x.shape;
    const buffer = new FeatureBuffer(empty([N, H, W, total]), training);
    copyChannels(x, 0, buffer.memory, 0, C);
    buffer.addStatistics(x, 0);
    const view = record(buffer.view(C), 'featureBuffer', [x], (g) => {
      const dx = empty(x.shape);
      copyChannels(g, 0, dx, 0, C);
      buffer.grad = null; // the backward through the block is over
      return [dx];
    });
    return { buffer, view };
  }

  /** norm over the view's channels, with a fused ReLU: the layer's input, normalised. */
  normalizeRelu(norm: BatchNorm2d, view: Tensor): Tensor {
    const channels = this.channelsOf(view);
    return batchNormRelu(norm, view, 'relu', {
      channels,
      batchStats: this.statisticsOf(channels),
      accumulateGradInto: () => this.gradient(),
    });
  }

  /**
   * The norm-relu's options over the view's channels as F.conv2d's `inputNorm` takes them (the
   * layer's conv1 reading its input through the norm, in training): norm.callOptions() with
   * ReLU, the channels, the gradient added into the buffer's, and the prefix's statistics.
   */
  normReluOptions(norm: BatchNorm2d, view: Tensor): BatchNormOptions {
    const channels = this.channelsOf(view);
    return {
      ...norm.callOptions(),
      activation: 'relu',
      channels,
      batchStats: this.statisticsOf(channels),
      accumulateGradInto: () => this.gradient(),
    };
  }

  /** The view after appending `features` (the buffer's next channels) to `view`. */
  append(view: Tensor, features: Tensor): Tensor {
    const offset = this.channelsOf(view);
    const width = features.shape[3];
    const total = this.memory.shape[3];
    copyChannels(features, 0, this.memory, offset, width);
    this.addStatistics(features, offset);
    return record(this.view(offset + width), 'featureAppend', [view, features], (g) => {
      if (offset + width === total) {
        // The block's output: its gradient becomes the buffer's, which the layers add into.
        this.grad = empty(g.shape);
        copyChannels(g, 0, this.grad, 0, total);
      } else if (g !== this.grad) {
        throw new Error('convkit.FeatureBuffer: an inner view of the buffer got its own gradient');
      }
      const dFeatures = empty(features.shape);
      copyChannels(this.grad, offset, dFeatures, 0, width);
      return [this.grad, dFeatures];
    });
  }

  /** The buffer's gradient while a backward runs through the block (the norms add into it). */
  private gradient(): Tensor {
    if (!this.grad) throw new Error('convkit.FeatureBuffer: no gradient to add into');
    return this.grad;
  }

  /** Sums the batch statistics of x, the buffer's channels from `offset` on (training). */
  private addStatistics(x: Tensor, offset: number): void {
    if (!this.summing || offset !== this.statsChannels) return;
    const C = x.shape[3];
    const stats = batchStatistics(x, reused('appended', 1 + 2 * C));
    this.rows = stats[0];
    this.mean.set(stats.subarray(1, 1 + C), offset);
    this.m2.set(stats.subarray(1 + C), offset);
    this.statsChannels = offset + C;
  }

  /** [count, mean[C], m2[C]] of the buffer's first C channels, when summed (else undefined). */
  private statisticsOf(C: number): Float64Array | undefined {
    if (C > this.statsChannels) return undefined;
    const stats = reused('prefix', 1 + 2 * C);
    stats[0] = this.rows;
    stats.set(this.mean.subarray(0, C), 1);
    stats.set(this.m2.subarray(0, C), 1 + C);
    return stats;
  }

  private view(channels: number): Tensor {
    const v = this.memory.detach();
    this.channels.set(v, channels);
    return v;
  }

  private channelsOf(view: Tensor): number {
    const c = this.channels.get(view);
    if (c === undefined) throw new Error('convkit.FeatureBuffer: not a view of this buffer');
    return c;
  }
}
