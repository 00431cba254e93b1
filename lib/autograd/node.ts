// A node of the autograd graph: the op that made a tensor, the inputs it needs gradients for,
// and a closure computing those gradients from the output's gradient. The closure holds the
// saved tensors; release() drops it so they can be freed as soon as backward has used them.
import type { Tensor } from '../tensor';
import { profiling } from './scope';

/**
 * Gradients of the inputs from the output's. `into[i]`, when not null, is input i's gradient
 * so far, which the function may add its own into in place and return (the engine then adds
 * nothing); it may as well ignore it.
 */
export type BackwardFn = (
  gradOutput: Tensor,
  into: ReadonlyArray<Tensor | null>,
) => ReadonlyArray<Tensor | null>;

export class Node {
  private backwardFn: BackwardFn | null;
  /** The module whose forward created this node (only while profiling). */
  readonly scope: string | null = profiling.scope;

  constructor(
    readonly name: string,
    /** One entry per differentiable input; null where no gradient is needed. */
    readonly inputs: ReadonlyArray<Tensor | null>,
    backward: BackwardFn,
  ) {
    this.backwardFn = backward;
  }

  get released(): boolean {
    return this.backwardFn === null;
  }

  apply(gradOutput: Tensor, into: ReadonlyArray<Tensor | null> = []): ReadonlyArray<Tensor | null> {
    if (!this.backwardFn)
      throw new Error(
        `convkit.backward: the graph through ${this.name} has already been freed by an earlier ` +
          'backward(); pass { retainGraph: true } to the first call to backward twice',
      );
    return this.backwardFn(gradOutput, into);
  }

  release(): void {
    this.backwardFn = null;
  }
}
