// Chains of layers that fuse each BatchNorm2d with the ReLU/ReLU6/SiLU right after it (one pass
// over memory instead of two), used by the plain-chain families (VGG-BN, DenseNet, Inception).
// The fusion is set only for the duration of the call, so the BatchNorm2d modules themselves
// keep their plain semantics. FusedSequential has Sequential's keys (0, 1, ...);
// NamedSequential has the names given (torchvision's nn.Sequential(OrderedDict(...))).
import type { Tensor } from '../../tensor';
import { ReLU, ReLU6, SiLU } from '../layers/activation';
import { Sequential } from '../layers/containers';
import { BatchNorm2d } from '../layers/norm';
import { Module } from '../module';

/** norm followed by a ReLU (or ReLU6 / SiLU), in the batch-norm kernel (`input`: see forwardWith). */
export function batchNormRelu(
  norm: BatchNorm2d,
  x: Tensor,
  activation: 'relu' | 'relu6' | 'silu' = 'relu',
  input: Parameters<BatchNorm2d['forwardWith']>[1] = {},
): Tensor {
  const saved = norm.activation;
  norm.activation = activation;
  try {
    return norm.forwardWith(x, input);
  } finally {
    norm.activation = saved;
  }
}

/**
 * relu(norm(x) + residual) in the batch-norm kernel: a residual block's tail in one pass
 * (batchStats: x's, as the convolution producing it summed them).
 */
export function batchNormAddRelu(
  norm: BatchNorm2d,
  x: Tensor,
  residual: Tensor,
  batchStats?: Float64Array,
): Tensor {
  const saved = norm.activation;
  norm.activation = 'relu';
  try {
    return norm.forwardWith(x, { residual, batchStats });
  } finally {
    norm.activation = saved;
  }
}

/** The batch-norm kernel's name for an activation module it can fuse, else null. */
export function fusableActivation(m: Module | undefined): 'relu' | 'relu6' | 'silu' | null {
  if (m instanceof ReLU) return 'relu';
  if (m instanceof ReLU6) return 'relu6';
  if (m instanceof SiLU) return 'silu';
  return null;
}

/** Runs modules in order, fusing every BatchNorm2d (without its own activation) + activation pair. */
export function forwardFused(modules: readonly Module[], x: Tensor): Tensor {
  for (let i = 0; i < modules.length; i++) {
    const m = modules[i];
    const fused = fusableActivation(modules[i + 1]);
    if (m instanceof BatchNorm2d && m.activation === 'none' && fused) {
      x = batchNormRelu(m, x, fused);
      i++;
    } else {
      x = m.forward(x);
    }
  }
  return x;
}

export class FusedSequential extends Sequential {
  override forward(x: Tensor): Tensor {
    return forwardFused(this.children(), x);
  }
}

export class NamedSequential extends Module {
  constructor(entries: ReadonlyArray<readonly [string, Module]> = []) {
    super();
    for (const [name, m] of entries) this.addModule(name, m);
  }

  /** As PyTorch's add_module: the name is the state-dict prefix. */
  addModule(name: string, m: Module): this {
    if (name in this || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new RangeError(`convkit.NamedSequential: '${name}' is not a free attribute name`);
    (this as unknown as Record<string, Module>)[name] = m;
    return this;
  }

  forward(x: Tensor): Tensor {
    return forwardFused(this.children(), x);
  }
}
