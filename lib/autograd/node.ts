// A node of the autograd graph: the op that made a tensor, the inputs it needs gradients for,
// and a closure computing those gradients from the output's gradient. The closure holds the
// saved tensors; release() drops it so they can be freed as soon as backward has used them.
import type { Tensor } from '../tensor';
import { profiling } from './scope';

export type BackwardFn = (gradOutput: Tensor) => ReadonlyArray<Tensor | null>;

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

  apply(gradOutput: Tensor): ReadonlyArray<Tensor | null> {
    if (!this.backwardFn)
      throw new Error(
        `convkit.backward: the graph through ${this.name} has already been freed by an earlier ` +
          'backward(); pass { retainGraph: true } to the first call to backward twice',
      );
    return this.backwardFn(gradOutput);
  }

  release(): void {
    this.backwardFn = null;
  }
}
