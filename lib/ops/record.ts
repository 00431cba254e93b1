// How an op joins the autograd graph: only when recording is on and an input needs a gradient.
import { isGradEnabled } from '../autograd/grad_mode';
import { BackwardFn, Node } from '../autograd/node';
import type { Tensor } from '../tensor';

/** True when an op with these inputs must record a backward. */
export function needsGrad(...inputs: Array<Tensor | null | undefined>): boolean {
  return isGradEnabled() && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Attaches `backward` to `out` when needed. `inputs` lists the differentiable inputs in the
 * order backward returns their gradients; inputs that need no gradient are passed to the
 * engine as null so it neither waits for nor stores them.
 */
export function record(
  out: Tensor,
  name: string,
  inputs: Array<Tensor | null | undefined>,
  backward: BackwardFn,
): Tensor {
  if (!needsGrad(...inputs)) return out;
  const tracked = inputs.map((t) => (t && t.requiresGrad ? t : null));
  return out.setGradFn(new Node(name, tracked, backward));
}
