// Runs a model's forward with every module's forward wrapped, so each call reports its
// module's dotted name, input and output, and how long it took (children included).
import { profiling } from '../autograd/scope';
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor';

export interface ModuleCall {
  name: string;
  module: Module;
  inputs: Tensor[];
  output: Tensor;
  seconds: number;
}

export function withModuleHooks<T>(
  model: Module,
  onCall: (call: ModuleCall) => void,
  fn: () => T,
): T {
  const wrapped: Module[] = [];
  for (const [name, module] of model.namedModules()) {
    const original = module.forward;
    const hooked = (...inputs: Tensor[]): Tensor => {
      const outer = profiling.scope;
      profiling.scope = name;
      const start = process.hrtime.bigint();
      try {
        const output = original.apply(module, inputs);
        onCall({
          name,
          module,
          inputs,
          output,
          seconds: Number(process.hrtime.bigint() - start) / 1e9,
        });
        return output;
      } finally {
        profiling.scope = outer;
      }
    };
    // An own property shadows the class's forward; deleting it restores the class's.
    Object.defineProperty(module, 'forward', {
      value: hooked,
      configurable: true,
      writable: true,
      enumerable: false,
    });
    wrapped.push(module);
  }
  try {
    return fn();
  } finally {
    for (const m of wrapped) delete (m as { forward?: unknown }).forward;
  }
}
