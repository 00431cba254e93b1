// Gradient clipping over a set of parameters, as torch.nn.utils.clip_grad_norm_ / _value_.
import { checkNumber, invalidRange } from '../check';
import type { Tensor } from '../tensor';

/** Scales all gradients so their joint norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Tensor[], maxNorm: number, normType = 2): number {
  checkNumber('clipGradNorm', 'maxNorm', maxNorm);
  checkNumber('clipGradNorm', 'normType', normType);
  if (!(normType > 0))
    throw invalidRange('clipGradNorm', 'normType', 'a number > 0 (or Infinity)', normType);
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  let total = 0;
  for (const g of grads)
    for (const v of g.data)
      total =
        normType === Infinity ? Math.max(total, Math.abs(v)) : total + Math.abs(v) ** normType;
  if (normType !== Infinity) total = total ** (1 / normType);
  const coefficient = maxNorm / (total + 1e-6);
  if (coefficient < 1)
    for (const g of grads) for (let i = 0; i < g.data.length; i++) g.data[i] *= coefficient;
  return total;
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Tensor[], clipValue: number): void {
  if (!(checkNumber('clipGradValue', 'clipValue', clipValue) >= 0))
    throw invalidRange('clipGradValue', 'clipValue', 'a number >= 0', clipValue);
  for (const p of params)
    if (p.grad)
      for (let i = 0; i < p.grad.data.length; i++)
        p.grad.data[i] = Math.min(clipValue, Math.max(-clipValue, p.grad.data[i]));
}
