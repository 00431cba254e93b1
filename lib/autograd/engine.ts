// The backward engine: order the graph's nodes so each runs after every node that uses its
// output, seed the root's gradient, run each node once, accumulate into leaves' .grad, and
// release each node's saved tensors right after it ran (unless retainGraph).
import type { Tensor } from '../tensor';
import { Node } from './node';
import { profiling } from './scope';

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
  for (const node of reverseTopologicalOrder(rootNode)) {
    const output = outputOf.get(node);
    const gradOutput = output ? pending.get(output) : undefined;
    if (!output || !gradOutput) continue; // not on a path from the root
    pending.delete(output);
    if (output.retainsGrad) output.addToGrad(gradOutput);
    const timer = profiling.backwardTimer;
    const start = timer ? process.hrtime.bigint() : 0n;
    const gradInputs = node.apply(gradOutput);
    if (timer) timer(node.scope, Number(process.hrtime.bigint() - start) / 1e9);
    if (!options.retainGraph) node.release();
    node.inputs.forEach((input, i) => {
      const grad = gradInputs[i];
      if (!input || !grad) return;
      if (input.gradFn) {
        outputOf.set(input.gradFn, input);
        const previous = pending.get(input);
        pending.set(input, previous ? accumulate(previous, grad) : grad);
      } else if (input.requiresGrad) {
        input.addToGrad(grad);
      }
    });
  }
}
