// Module: the base of layers, blocks and models. Children, parameters and buffers are found
// from the module's own properties in assignment order, so attribute names are the state-dict
// keys (`layer1.0.conv1.weight`), as in PyTorch.
import { Tensor } from '../tensor';

/** Marks a tensor as a trainable parameter of the module it is assigned to. */
export function parameter(t: Tensor): Tensor {
  t.requiresGrad = true;
  parameters.add(t);
  return t;
}

/** Marks a tensor as a buffer (saved in the state dict, not trained), e.g. running_mean. */
export function buffer(t: Tensor, options: { int64?: boolean } = {}): Tensor {
  buffers.add(t);
  if (options.int64) int64Buffers.add(t);
  return t;
}

const parameters = new WeakSet<Tensor>();
const buffers = new WeakSet<Tensor>();
const int64Buffers = new WeakSet<Tensor>();

/** Buffers stored as 64-bit integers in PyTorch (num_batches_tracked). */
export function isInt64Buffer(t: Tensor): boolean {
  return int64Buffers.has(t);
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** training mode (dropout, batch statistics) vs evaluation. */
  training = true;

  abstract forward(...inputs: Tensor[]): Tensor;

  /** Calls forward (as calling a PyTorch module). */
  call(...inputs: Tensor[]): Tensor {
    return this.forward(...inputs);
  }

  namedChildren(): Array<[string, Module]> {
    return Object.entries(this).filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.namedChildren())
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private ownTensors(kind: WeakSet<Tensor>): Array<[string, Tensor]> {
    return Object.entries(this).filter(
      (e): e is [string, Tensor] => e[1] instanceof Tensor && kind.has(e[1]),
    );
  }

  private collect(kind: WeakSet<Tensor>): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const seen = new Set<Tensor>(); // shared tensors are listed once, as PyTorch
    for (const [prefix, m] of this.namedModules())
      for (const [name, t] of m.ownTensors(kind)) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    return out;
  }

  namedParameters(): Array<[string, Tensor]> {
    return this.collect(parameters);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): Array<[string, Tensor]> {
    return this.collect(buffers);
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.clearGrad();
  }

  /** requiresGrad(false) freezes every parameter (transfer learning). */
  requiresGrad(value = true): this {
    for (const p of this.parameters()) p.requiresGrad = value;
    return this;
  }

  /** Calls fn on every module (children first, then this one), as PyTorch's apply. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Parameters and buffers by dotted name, in registration order (tensors, not copies). */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      const own = [...m.ownTensors(parameters), ...m.ownTensors(buffers)];
      for (const [name, t] of own) out.set(prefix ? `${prefix}.${name}` : name, t);
    }
    return out;
  }

  /**
   * Copies values from `state` into this module's tensors. strict (default) throws when keys
   * are missing or unexpected; shape mismatches always throw, naming every offending key.
   */
  loadStateDict(
    state: Map<string, Tensor> | Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    const source = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    const mismatched = [...own].filter(([k, t]) => {
      const s = source.get(k);
      return s !== undefined && s.shape.join() !== t.shape.join();
    });
    const problems: string[] = [];
    if (mismatched.length)
      problems.push(
        'size mismatch for ' +
          mismatched
            .map(([k, t]) => `${k}: checkpoint [${source.get(k)!.shape}] vs model [${t.shape}]`)
            .join('; '),
      );
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length)
      problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (problems.length) throw new RangeError(`convkit.loadStateDict: ${problems.join('. ')}`);
    for (const [k, t] of own) {
      const s = source.get(k);
      if (s) t.data.set(s.data);
    }
    return { missingKeys, unexpectedKeys };
  }
}
