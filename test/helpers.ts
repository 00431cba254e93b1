// Shared test helpers: run a suite on every ISA path the CPU has, seeded data, comparisons.
import { runtime, Tensor } from '../lib';
import type { Module } from '../lib/nn/module';
import { Generator } from '../lib/random';

export const isaPaths: string[] = runtime.info().isasAvailable;

/** Runs `body` once per ISA path (describe block per path), restoring the best path after. */
export function describeEachIsa(title: string, body: (isa: string) => void): void {
  for (const isa of isaPaths) {
    describe(`${title} [${isa}]`, () => {
      beforeAll(() => runtime.setIsa(isa));
      afterAll(() => runtime.setIsa(isaPaths[0]));
      body(isa);
    });
  }
}

export function randomArray(length: number, generator: Generator, scale = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (generator.uniform() * 2 - 1) * scale;
  return out;
}

/** Largest |a - b| / (1 + |b|) with the index where it occurs. */
export function maxRelativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): { error: number; index: number } {
  let error = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (!(e <= error)) {
      error = e;
      index = i;
      if (Number.isNaN(e)) break;
    }
  }
  return { error, index };
}

/**
 * Asserts that `call` throws an error of the given class name whose message matches.
 * Compares by name: errors thrown by the native addon come from Node's main realm, not from
 * jest's sandbox, so `instanceof TypeError` would be false for them.
 */
export function expectThrows(call: () => unknown, type: string, message: RegExp): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined)
    throw new Error(`expected a ${type} matching ${message}, but nothing was thrown`);
  const { name, message: text } = thrown as Error;
  if (name !== type || !message.test(text))
    throw new Error(`expected a ${type} matching ${message}, got ${name}: ${text}`);
}

/**
 * Two copies of a module after the same forward and backward (one through a fused path, one
 * layer by layer): outputs, input gradients, every parameter's gradient and every buffer
 * (running statistics) agree to `tolerance` relative (float sums in other orders).
 */
export function expectSameStep(
  a: { module: Module; y: Tensor; x: Tensor },
  b: { module: Module; y: Tensor; x: Tensor },
  tolerance = 1e-5,
): void {
  const close = (u: Tensor, v: Tensor, what: string): void => {
    const { error, index } = maxRelativeError(u.data, v.data);
    if (!(error < tolerance)) throw new Error(`${what}: relative difference ${error} at ${index}`);
  };
  close(a.y, b.y, 'y');
  close(a.x.grad!, b.x.grad!, 'x.grad');
  const params = new Map(b.module.namedParameters());
  for (const [name, p] of a.module.namedParameters()) close(p.grad!, params.get(name)!.grad!, name);
  const buffers = new Map(b.module.namedBuffers());
  for (const [name, t] of a.module.namedBuffers()) close(t, buffers.get(name)!, name);
}
