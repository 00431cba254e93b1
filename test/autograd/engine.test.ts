// The backward engine's semantics, on tiny test-only ops written in plain JS, so a failure
// here is the engine's and not a kernel's.
import { F, memory, noGrad, randn, tensor, Tensor, tidy, zeros } from '../../lib';
import * as convKernels from '../../lib/kernels/conv';
import { Generator } from '../../lib/random';
import { Node } from '../../lib/autograd';
import { expectThrows, maxRelativeError } from '../helpers';

function map2(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const out = zeros(a.shape);
  for (let i = 0; i < out.size; i++) out.data[i] = f(a.data[i], b.data[i]);
  return out;
}

// y = a * b (same shapes) with the textbook backward.
function mul(a: Tensor, b: Tensor): Tensor {
  const out = map2(a, b, (x, y) => x * y);
  if (a.requiresGrad || b.requiresGrad)
    out.setGradFn(
      new Node('mul', [a.requiresGrad ? a : null, b.requiresGrad ? b : null], (g) => [
        a.requiresGrad ? map2(g, b, (x, y) => x * y) : null,
        b.requiresGrad ? map2(g, a, (x, y) => x * y) : null,
      ]),
    );
  return out;
}

function sum(a: Tensor): Tensor {
  const out = tensor([a.data.reduce((s, v) => s + v, 0)]);
  if (a.requiresGrad)
    out.setGradFn(
      new Node('sum', [a], (g) => [tensor(new Float32Array(a.size).fill(g.data[0]), a.shape)]),
    );
  return out;
}

function leaf(values: number[]): Tensor {
  const t = tensor(values);
  t.requiresGrad = true;
  return t;
}

test('gradients of a product and accumulation across uses of a tensor', () => {
  const x = leaf([1, 2, 3]);
  const w = leaf([4, 5, 6]);
  // L = sum(x*w) + sum(x*x): dL/dx = w + 2x, dL/dw = x
  const loss = sum(map2(mul(x, w), mul(x, x), (p, q) => p + q));
  // map2 records nothing: only the mul branches are reachable through a recorded op.
  expect(loss.requiresGrad).toBe(false);
  const l1 = sum(mul(x, w));
  const l2 = sum(mul(x, x));
  l1.backward();
  l2.backward();
  expect(Array.from(x.grad!.data)).toEqual([4 + 2, 5 + 4, 6 + 6]);
  expect(Array.from(w.grad!.data)).toEqual([1, 2, 3]);
});

test('a diamond graph sums both paths into the shared input', () => {
  const x = leaf([2, 3]);
  const y = mul(x, x); // y = x^2
  const z = mul(y, y); // z = x^4 -> dz/dx = 4x^3, y is used twice by one node
  sum(z).backward();
  expect(Array.from(x.grad!.data)).toEqual([32, 108]);
});

test('non-leaf gradients are dropped unless retainGrad() is asked', () => {
  const x = leaf([1, 2]);
  const y = mul(x, x);
  const kept = mul(x, x).retainGrad();
  sum(mul(y, kept)).backward();
  expect(y.grad).toBeNull();
  expect(y.isLeaf).toBe(false);
  expect(kept.grad).not.toBeNull();
  expect(Array.from(kept.grad!.data)).toEqual([1, 4]); // d(y*kept)/dkept = y = x^2
});

test('backward twice needs retainGraph, and says so', () => {
  const x = leaf([1, 2]);
  const loss = sum(mul(x, x));
  loss.backward(undefined, { retainGraph: true });
  loss.backward();
  expect(Array.from(x.grad!.data)).toEqual([4, 8]);
  expectThrows(() => loss.backward(), 'Error', /already been freed.*retainGraph/);
});

test('explicit upstream gradients for non-scalars; scalars only may omit it', () => {
  const x = leaf([1, 2, 3]);
  const y = mul(x, x);
  expectThrows(() => y.backward(), 'RangeError', /explicit gradient/);
  expectThrows(() => y.backward(tensor([1, 1])), 'RangeError', /shape \[3\]/);
  y.backward(tensor([1, 0, 2]));
  expect(Array.from(x.grad!.data)).toEqual([2, 0, 12]);
});

test('noGrad records nothing; detach cuts history but shares memory', () => {
  const x = leaf([1, 2]);
  const y = noGrad(() => mul(x, x));
  expect(y.requiresGrad).toBe(false);
  expect(y.gradFn).toBeNull();
  const d = mul(x, x).detach();
  expect(d.requiresGrad).toBe(false);
  expectThrows(() => d.backward(), 'TypeError', /does not require grad/);
  expectThrows(
    () => {
      mul(x, x).requiresGrad = false;
    },
    'RangeError',
    /only leaf tensors/,
  );
});

test('reshape passes gradients back in the original shape', () => {
  const x = leaf([1, 2, 3, 4]);
  const y = x.reshape(2, 2);
  sum(mul(y, y)).backward();
  expect(x.grad!.shape).toEqual([4]);
  expect(Array.from(x.grad!.data)).toEqual([2, 4, 6, 8]);
});

test('tidy frees what a step created and keeps results and leaf gradients', () => {
  const x = leaf([1, 2, 3]);
  const before = memory.stats().liveBytes;
  let result: Tensor | undefined;
  for (let step = 0; step < 50; step++) {
    x.clearGrad();
    result?.dispose();
    result = tidy(() => {
      const loss = sum(mul(mul(x, x), x));
      loss.backward();
      return loss;
    });
    if (step === 0) expect(result.item()).toBe(36);
  }
  expect(Array.from(x.grad!.data)).toEqual([3, 12, 27]);
  // What remains: the last result and x.grad (each rounded up to 64 bytes by the pool).
  expect(memory.stats().liveBytes - before).toBeLessThanOrEqual(2 * 64);
  result!.dispose();
});

describe('gradients added in place into an input gradient only the engine holds', () => {
  // x feeds a 1x1 convolution and one other op; the conv's backward-data may add into x's
  // pending gradient (GEMM beta = 1) when nothing else holds it. Either way x.grad must be the
  // sum of both paths, computed here path by path with plain tensors.
  const x0 = randn([2, 3, 5, 16], new Generator(1));
  const w = randn([24, 16, 1, 1], new Generator(2));
  const m = randn([2, 3, 5, 16], new Generator(3));
  const gy = randn([2, 3, 5, 24], new Generator(4));
  const convPath = convKernels.conv2dBackwardData(gy, w, x0.shape);
  function check(lossOf: (x: Tensor) => Tensor, other: Float32Array): void {
    const x = x0.clone();
    x.requiresGrad = true;
    lossOf(x).backward();
    const want = convPath.data.map((v, i) => v + other[i]);
    const { error } = maxRelativeError(x.grad!.data, want);
    expect(error).toBeLessThan(1e-5);
  }

  test('the other path first (its fresh gradient is added into), or second', () => {
    const conv = (x: Tensor) => F.sum(F.mul(F.conv2d(x, w), gy));
    const other = (x: Tensor) => F.sum(F.mul(F.mul(x, m), 1)); // a gradient the engine owns
    check((x) => F.add(conv(x), other(x)), m.data);
    check((x) => F.add(other(x), conv(x)), m.data);
  });

  test('a gradient that is also the conv output gradient (a skip: y = conv(x) + x) is not added into', () => {
    const w16 = randn([16, 16, 1, 1], new Generator(5));
    const g16 = randn([2, 3, 5, 16], new Generator(6));
    const x = x0.clone();
    x.requiresGrad = true;
    F.sum(F.mul(F.add(F.conv2d(x, w16), x), g16)).backward();
    const convPart = convKernels.conv2dBackwardData(g16, w16, x0.shape);
    const want = convPart.data.map((v, i) => v + g16.data[i]);
    expect(maxRelativeError(x.grad!.data, want).error).toBeLessThan(1e-5);
  });
});

describe('views made inside a scope do not free memory from outside it', () => {
  test('a reshape of an outer tensor inside tidy leaves the tensor alive', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const s = tidy(() => x.reshape([3, 2]).sum());
    expect(s.item()).toBe(21);
    expect(x.disposed).toBe(false);
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('a loss made of two sums (its seed reshaped by both) backpropagates', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5]);
    a.requiresGrad = true;
    b.requiresGrad = true;
    F.add(F.sum(F.mul(a, 2)), F.sum(F.mul(b, 3))).backward();
    expect(Array.from(a.grad!.data)).toEqual([2, 2, 2]);
    expect(Array.from(b.grad!.data)).toEqual([3, 3]);
    const seed = tensor([1]).reshape([]);
    F.add(F.sum(a), F.sum(b)).backward(seed);
    expect(seed.disposed).toBe(false); // the caller's gradient is not the engine's to free
  });
});
