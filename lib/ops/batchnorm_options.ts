// F.batchNorm's options (ops/batchnorm.ts; ops/batchnorm_excite.ts reads them too).
import type * as kernels from '../kernels/batchnorm';
import type { Tensor } from '../tensor';

export interface BatchNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Batch statistics (true) or running statistics (false). Default false, as PyTorch's F. */
  training?: boolean;
  /** Default 0.1; null = cumulative average (needs numBatchesTracked). */
  momentum?: number | null;
  /** num_batches_tracked after counting this batch (momentum null). */
  numBatchesTracked?: number;
  eps?: number;
  activation?: kernels.BatchNormActivation;
  /**
   * Added before the activation: act(bn(x) + residual), a ResNet block's tail in one pass
   * (instead of bn, add and relu). Gets the masked gradient. Not with 'silu'.
   */
  residual?: Tensor | null;
  /**
   * Normalise only x's first `channels` channels (default all); the output has `channels`
   * channels and x's gradient is zero past them.
   */
  channels?: number;
  /**
   * Advanced: when the backward runs, add x's gradient in place into the tensor (x's shape)
   * this returns, instead of handing it to the autograd engine. For a buffer whose gradient
   * one owner accumulates: a DenseNet block's shared features (nn/blocks/feature_buffer.ts).
   */
  accumulateGradInto?: (() => Tensor) | null;
  /**
   * Training only: x's batch statistics as the convolution that produced x summed them
   * (F.conv2d's `batchStats`), so x is read once instead of twice.
   */
  batchStats?: Float64Array | null;
  /**
   * Scale the output per sample and channel by excite(its mean over H and W) ([N, 1, 1, C]
   * in and out): a squeeze-and-excitation right after the norm, as in EfficientNet's MBConv,
   * without storing the unscaled output (ops/batchnorm_excite.ts). Not with residual,
   * channels or accumulateGradInto.
   */
  excite?: ((pooled: Tensor) => Tensor) | null;
}
