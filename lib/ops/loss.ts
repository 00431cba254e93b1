// softmax / logSoftmax over the last axis and the losses, with autograd (PyTorch 1.13's
// semantics for weights, label smoothing, ignoreIndex and reductions).
import * as kernels from '../kernels/loss';
import type { Tensor } from '../tensor';
import { record } from './record';

export type CrossEntropyOptions = kernels.CrossEntropyOptions;
export type Reduction = kernels.Reduction;
export type Labels = kernels.Labels;

export function softmax(x: Tensor): Tensor {
  const y = kernels.softmax(x);
  return record(y, 'softmax', [x], (g) => [kernels.softmaxBackward(y, g)]);
}

export function logSoftmax(x: Tensor): Tensor {
  const y = kernels.logSoftmax(x);
  return record(y, 'logSoftmax', [x], (g) => [kernels.logSoftmaxBackward(y, g)]);
}

/** Cross-entropy from logits [N, C] and integer class labels [N]. */
export function crossEntropy(
  logits: Tensor,
  labels: Labels,
  options: CrossEntropyOptions = {},
): Tensor {
  const loss = kernels.crossEntropy(logits, labels, options);
  return record(loss, 'crossEntropy', [logits], (g) => [
    kernels.crossEntropyBackward(logits, labels, g, options),
  ]);
}

/** Negative log-likelihood from log-probabilities [N, C]. */
export function nllLoss(
  logProbs: Tensor,
  labels: Labels,
  options: kernels.ClassLossOptions = {},
): Tensor {
  const loss = kernels.nllLoss(logProbs, labels, options);
  return record(loss, 'nllLoss', [logProbs], (g) => [
    kernels.nllLossBackward(logProbs, labels, g, options),
  ]);
}

export function mseLoss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction } = {},
): Tensor {
  const loss = kernels.mseLoss(input, target, options);
  return record(loss, 'mseLoss', [input, target], (g) => {
    const d = kernels.mseLossBackward(input, target, g, options);
    // d/dtarget = -d/dinput.
    let dt: Tensor | null = null;
    if (target.requiresGrad) {
      dt = d.clone();
      const v = dt.data;
      for (let i = 0; i < v.length; i++) v[i] = -v[i];
    }
    return [input.requiresGrad ? d : null, dt];
  });
}
