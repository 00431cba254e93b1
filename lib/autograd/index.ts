// Public face of autograd: grad mode, scopes, and the graph node for op authors.
import { isTensor, Tensor } from '../tensor';
import { keep, tidy as tidyWith } from './tidy';

export { noGrad, enableGrad, isGradEnabled } from './grad_mode';
export { Node } from './node';
export type { BackwardFn } from './node';
export type { BackwardOptions } from './engine';
export { keep };
export { gradcheck, assertGradcheck } from './gradcheck';
export type { GradcheckOptions, GradcheckResult } from './gradcheck';

/**
 * Runs fn and disposes every tensor it created, except what it returns (searched in arrays
 * and plain objects), tensors passed to keep(), and gradients stored on leaves.
 */
export function tidy<T>(fn: () => T): T {
  return tidyWith(fn, isTensor);
}

export type { Tensor };
