// The backward engine: order the graph's nodes so each runs after every node that uses its
// output, seed the root's gradient, run each node once, accumulate into leaves' .grad, and
// release each node's saved tensors right after it ran (unless retainGraph).
//
// Memory: the gradients flowing through the graph are the engine's own (made by the nodes'
// backward functions during this call), so it frees each one as soon as nothing pending refers
// to it, and a node's scratch tensors right after the node ran. Without this every activation
// gradient of the step stayed alive until the enclosing tidy ended: twice PyTorch's peak.
import type { Tensor } from '../tensor';
import { Node } from './node';
import { profiling } from './scope';
import { captureCreated, isKept } from './tidy';

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (PyTorch's retain_graph). */
  retainGraph?: boolean;
}

/** Nodes reachable from `root`, each after all nodes that consume its output. */
function reverseTopologicalOrder(root: Node): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>();
  // Iterative post-order DFS: deep networks would overflow a recursive one.
  const stack: Array<{ node: Node; next: number }> = [{ node: root, next: 0 }];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next < top.node.inputs.length) {
      const input = top.node.inputs[top.next++];
      const child = input?.gradFn;
      if (child && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order.reverse();
}

/** Sum of two gradients in new memory (inputs may be aliased elsewhere in the graph). */
export type Accumulate = (into: Tensor, grad: Tensor) => Tensor;

export function runBackward(
  root: Tensor,
  seed: Tensor,
  accumulate: Accumulate,
  options: BackwardOptions = {},
): void {
  const rootNode = root.gradFn;
  if (!rootNode) {
    // A leaf: its gradient is the seed itself.
    root.addToGrad(seed);
    return;
  }
  const pending = new Map<Tensor, Tensor>(); // gradient flowing into each non-leaf output
  const outputOf = new Map<Node, Tensor>();
  pending.set(root, seed);
  outputOf.set(rootNode, root);
  const memory = new GradientMemory();
  for (const node of reverseTopologicalOrder(rootNode)) {
    const output = outputOf.get(node);
    const gradOutput = output ? pending.get(output) : undefined;
    if (!output || !gradOutput) continue; // not on a path from the root
    pending.delete(output);
    if (output.retainsGrad) output.addToGrad(gradOutput);
    const timer = profiling.backwardTimer;
    const start = timer ? process.hrtime.bigint() : 0n;
    // Pending gradients of the node's inputs that only this engine holds: the node may add
    // its contribution into them in place (and return them) instead of making a tensor the
    // engine would then add (a residual block's input: the skip's gradient, then conv1's).
    const into = node.inputs.map((input) => {
      const previous = input?.gradFn ? pending.get(input) : undefined;
      return previous && input && memory.exclusive(previous, input.shape) ? previous : null;
    });
    const { result: gradInputs, created } = captureCreated(() => node.apply(gradOutput, into));
    if (timer) timer(node.scope, Number(process.hrtime.bigint() - start) / 1e9);
    if (!options.retainGraph) node.release();
    memory.own(created);
    node.inputs.forEach((input, i) => {
      const grad = gradInputs[i];
      if (!input || !grad) return;
      if (input.gradFn) {
        outputOf.set(input.gradFn, input);
        const previous = pending.get(input);
        // Added in place into what was offered (see `into` above). Identity alone would not
        // do: a node may hand one gradient to an input it reads twice (add(h, h)).
        if (previous && grad === into[i] && previous === into[i]) return;
        let sum = grad;
        if (previous) {
          const captured = captureCreated(() => accumulate(previous, grad));
          memory.own(captured.created);
          sum = captured.result;
        }
        memory.hold(sum);
        if (previous) memory.drop(previous);
        pending.set(input, sum);
      } else if (input.requiresGrad) {
        input.addToGrad(grad); // copies: .grad owns its memory
      }
    });
    memory.drop(gradOutput);
    memory.freeUnheld(created);
  }
}

/**
 * Reference counts, per storage, of the engine's own gradient tensors held in `pending`
 * (nodes may pass a gradient through unchanged, to several inputs, or as a reshaped view).
 * A storage is freed when its count returns to zero. Tensors the engine did not make (the seed,
 * forward tensors a backward function returned) and kept tensors are never freed here.
 */
class GradientMemory {
  private readonly owned = new Set<object>();
  private readonly holds = new Map<object, number>();

  /** Marks tensors made during this backward as the engine's (kept ones excepted). */
  own(created: Tensor[]): void {
    for (const t of created) if (!isKept(t)) this.owned.add(t.storageKey());
  }

  hold(t: Tensor): void {
    const key = t.storageKey();
    this.holds.set(key, (this.holds.get(key) ?? 0) + 1);
  }

  drop(t: Tensor): void {
    const key = t.storageKey();
    const count = (this.holds.get(key) ?? 1) - 1;
    if (count > 0) {
      this.holds.set(key, count);
      return;
    }
    this.holds.delete(key);
    if (this.owned.has(key) && !isKept(t)) t.dispose();
  }

  /**
   * Whether `t` may be added into in place: the engine made it, nothing else holds its memory
   * (one pending gradient, not kept), and it has the input's shape.
   */
  exclusive(t: Tensor, shape: readonly number[]): boolean {
    const key = t.storageKey();
    return (
      this.owned.has(key) &&
      this.holds.get(key) === 1 &&
      !isKept(t) &&
      t.shape.length === shape.length &&
      t.shape.every((d, i) => d === shape[i])
    );
  }

  /** Frees a node's scratch tensors: made by it, not pending as a gradient, not kept. */
  freeUnheld(created: Tensor[]): void {
    for (const t of created)
      if (!this.holds.has(t.storageKey()) && !isKept(t) && this.owned.has(t.storageKey()))
        t.dispose();
  }
}
