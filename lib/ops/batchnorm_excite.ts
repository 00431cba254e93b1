// F.batchNorm with `excite`: act(bn(x)) * excite(its mean over H, W), a squeeze-and-excitation
// right after the norm (EfficientNet's MBConv), without ever storing act(bn(x)): the kernels
// recompute it from x (kernels/batchnorm_excite.ts), which saves two passes over memory in the
// forward and seven in the backward against the separate norm, pool, multiply and their
// gradients.
//
// The excitation (pool -> fc -> act -> fc -> sigmoid, on [N, 1, 1, C]) is any differentiable
// function, recorded as usual from a leaf holding the pooled mean. Its gradient cannot flow
// back into the norm through the engine: the norm's backward needs it to compute dx, and the
// engine would only run the excitation's nodes after the norm's. So the norm's backward runs
// the excitation's backward itself (a nested backward from s seeded with ds, which also
// accumulates the fc parameters' gradients) and reads the pooled mean's gradient from the leaf.
import * as excite from '../kernels/batchnorm_excite';
import { Tensor, zeros } from '../tensor';
import type { BatchNormOptions } from './batchnorm_options';
import { normStatistics } from './batchnorm_statistics';
import { needsGrad, record } from './record';

export function batchNormExcite(
  x: Tensor,
  options: BatchNormOptions,
  exciteFn: (pooled: Tensor) => Tensor,
): Tensor {
  if (options.residual || options.accumulateGradInto || options.channels !== undefined)
    throw new RangeError(
      'convkit.batchNorm: excite cannot be combined with residual, channels or accumulateGradInto',
    );
  const { weight = null, bias = null, activation = 'none' } = options;
  const training = options.training ?? false;
  const stats = normStatistics(x, options, training);
  const pooled = excite.batchNormExcitePool(x, stats.affine, activation);
  const normGrad = needsGrad(x, weight, bias);
  if (normGrad) pooled.requiresGrad = true; // a leaf: the backward reads its gradient
  const scale = exciteFn(pooled);
  const out = excite.batchNormExciteApply(x, stats.affine, activation, scale);
  return record(out, 'batchNormExcite', [x, weight, bias, scale], (dOut) => {
    const sums = excite.batchNormExciteBackwardSums(x, dOut, { ...stats, activation });
    let poolGrad: Tensor | null = null;
    if (scale.requiresGrad) {
      // The graph is kept: a backward with retainGraph may run this node again.
      scale.backward(excite.scaleGradient(sums), { retainGraph: true });
      poolGrad = pooled.grad;
    }
    let grads: { dx: Tensor | null; dweight: Tensor | null; dbias: Tensor | null } = {
      dx: null,
      dweight: null,
      dbias: null,
    };
    if (normGrad)
      grads = excite.batchNormExciteBackward(x, dOut, sums, poolGrad ?? zeros(scale.shape), {
        ...stats,
        weight,
        activation,
        training,
        scale,
        parameterGradients: weight?.requiresGrad === true || bias?.requiresGrad === true,
      });
    pooled.clearGrad(); // a kept leaf gradient: freed here, or it would outlive the step
    // The scale's gradient went through its graph above, not through the engine.
    return [x.requiresGrad ? grads.dx : null, grads.dweight, grads.dbias, null];
  });
}
