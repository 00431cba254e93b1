import {
  arange,
  full,
  manualSeed,
  matmul,
  memory,
  ones,
  rand,
  randn,
  runtime,
  tensor,
  Tensor,
  zeros,
} from '../lib';
import { native } from '../lib/native';
import { describeEachIsa, expectThrows } from './helpers';

describe('tensor creation', () => {
  test('nested arrays infer the shape', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    t.dispose();
  });
  test('typed arrays with a shape', () => {
    const t = tensor(new Float32Array([1, 2, 3, 4]), [2, 1, 2]);
    expect(t.toArray()).toEqual([[[1, 2]], [[3, 4]]]);
  });
  test('scalars', () => {
    expect(tensor(3.5).item()).toBe(3.5);
    expect(tensor(3.5).shape).toEqual([]);
  });
  test('zeros, ones, full, arange', () => {
    expect(Array.from(zeros([2, 2]).data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(ones([3]).data)).toEqual([1, 1, 1]);
    expect(Array.from(full([2], -2.5).data)).toEqual([-2.5, -2.5]);
    expect(Array.from(arange(4).data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(arange(1, 2, 0.25).data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(5, 1).size).toBe(0);
  });
  test('data is a view of native memory, not a copy', () => {
    const t = zeros([4]);
    t.data[2] = 7;
    expect(t.data[2]).toBe(7);
    expect(t.data.buffer.byteLength).toBe(16);
  });
});

describe('seeded generators', () => {
  test('manualSeed reproduces rand and randn exactly', () => {
    manualSeed(42);
    const a = Array.from(rand([100]).data);
    const b = Array.from(randn([100]).data);
    manualSeed(42);
    expect(Array.from(rand([100]).data)).toEqual(a);
    expect(Array.from(randn([100]).data)).toEqual(b);
    manualSeed(43);
    expect(Array.from(rand([100]).data)).not.toEqual(a);
  });
  test('native fills give the same values on 1 and 2 threads', () => {
    const draw = (threads: number) => {
      runtime.setNumThreads(threads);
      manualSeed(9);
      return [
        Array.from(rand([100000]).data.slice(99990)),
        Array.from(randn([100001]).data.slice(99990)),
      ];
    };
    const one = draw(1);
    const two = draw(2);
    runtime.setNumThreads(runtime.info().maxThreads);
    expect(two).toEqual(one);
  });
  test('rand is uniform on [0, 1) and randn is standard normal', () => {
    manualSeed(1);
    const u = rand([100000]).data;
    const n = randn([100000]).data;
    const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 2);
    expect(mean(n)).toBeCloseTo(0, 1);
    const variance = n.reduce((s, v) => s + v * v, 0) / n.length;
    expect(variance).toBeGreaterThan(0.98);
    expect(variance).toBeLessThan(1.02);
  });
});

describe('reshape, item, dispose', () => {
  test('reshape shares memory and infers -1', () => {
    const t = arange(6);
    const r = t.reshape(2, -1);
    expect(r.shape).toEqual([2, 3]);
    r.data[0] = 9;
    expect(t.data[0]).toBe(9);
    expect(t.reshape([3, 2]).shape).toEqual([3, 2]);
  });
  test('reshape rejects incompatible shapes', () => {
    const t = arange(6);
    expectThrows(() => t.reshape(4, 2), 'RangeError', /reshape/);
    expect(() => t.reshape(-1, -1)).toThrow(/at most one -1/);
    expect(() => t.reshape(4, -1)).toThrow(/compatible with size 6/);
  });
  test('item needs one element', () => {
    expect(() => arange(2).item()).toThrow(/convkit.item/);
  });
  test('use after dispose throws and never reads freed memory', () => {
    const t = arange(1000);
    const view = t.data;
    const reshaped = t.reshape(10, 100);
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.data).toThrow(/has been disposed/);
    expect(() => reshaped.toArray()).toThrow(/has been disposed/);
    expectThrows(() => t.item(), 'TypeError', /disposed/);
    // The old view was detached: it reads as empty instead of reading freed memory.
    expect(view.length).toBe(0);
    expect(() => native.sgemm(false, false, 1, 1, 1, 1, view, 1, view, 1, 0, view, 1)).toThrow(
      /disposed/,
    );
    t.dispose(); // twice is harmless
  });
  test('memory returns to the baseline after disposal', () => {
    const before = memory.stats().liveBytes;
    const ts = [zeros([1000]), randn([64, 64]), ones([3, 5, 7])];
    expect(memory.stats().liveBytes).toBeGreaterThan(before);
    ts.forEach((t) => t.dispose());
    expect(memory.stats().liveBytes).toBe(before);
    // Disposed blocks are reused for the same sizes.
    const hits = memory.stats().poolHits;
    zeros([1000]).dispose();
    expect(memory.stats().poolHits).toBe(hits + 1);
  });
  test('a large request reuses a free block of a nearby larger size; a small one does not', () => {
    memory.trim();
    zeros([1 << 18]).dispose(); // 1 MiB
    const hits = memory.stats().poolHits;
    const t = zeros([230000]); // 0.92 MB: another size class, served by the 1 MiB block
    expect(memory.stats().poolHits).toBe(hits + 1);
    t.dispose();
    zeros([128]).dispose();
    zeros([100]).dispose(); // 400 bytes: its own class only
    expect(memory.stats().poolHits).toBe(hits + 1);
  });
});

describe('bad input', () => {
  test.each([
    ['negative dimension', () => zeros([2, -1]), 'RangeError', /shape\[1\]/],
    ['fractional dimension', () => zeros([2.5]), 'RangeError', /shape\[0\]/],
    ['non-array shape', () => zeros(3 as unknown as number[]), 'TypeError', /shape/],
    ['string dimension', () => zeros(['3'] as unknown as number[]), 'TypeError', /shape\[0\]/],
    ['overflowing product', () => zeros([2 ** 30, 2 ** 30, 2 ** 30]), 'RangeError', /elements/],
    ['ragged nested array', () => tensor([[1, 2], [3]]), 'RangeError', /regular nested array/],
    ['non-numbers', () => tensor(['a'] as unknown as number[]), 'TypeError', /numbers/],
    ['shape mismatch', () => tensor(new Float32Array(4), [3]), 'RangeError', /4 elements/],
    ['NaN fill', () => full([2], NaN), 'RangeError', /value/],
    ['zero arange step', () => arange(0, 1, 0), 'RangeError', /step/],
    ['bad seed', () => manualSeed(-1), 'RangeError', /seed/],
  ] as Array<[string, () => unknown, 'TypeError' | 'RangeError', RegExp]>)(
    '%s',
    (_n, call, type, message) => {
      expectThrows(call, type, message);
    },
  );
});

describeEachIsa('matmul', () => {
  test('2-D against a hand computation', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const b = tensor([
      [1, 0, 2],
      [0, 1, 3],
    ]);
    expect(matmul(a, b).toArray()).toEqual([
      [1, 2, 8],
      [3, 4, 18],
      [5, 6, 28],
    ]);
  });
  test('batched 3-D equals per-batch 2-D', () => {
    manualSeed(3);
    const a = randn([3, 5, 7]);
    const b = randn([3, 7, 4]);
    const c = matmul(a, b);
    for (let i = 0; i < 3; i++) {
      const ai = tensor(a.data.slice(i * 35, (i + 1) * 35), [5, 7]);
      const bi = tensor(b.data.slice(i * 28, (i + 1) * 28), [7, 4]);
      const ci = matmul(ai, bi).data;
      for (let j = 0; j < 20; j++) expect(c.data[i * 20 + j]).toBeCloseTo(ci[j], 5);
    }
    expect(matmul(a, b.reshape(3, 7, 4)).shape).toEqual([3, 5, 4]);
    expect(matmul(a, randn([7, 2])).shape).toEqual([3, 5, 2]);
  });
  test('errors name the op and the shapes', () => {
    expect(() => matmul(zeros([2, 3]), zeros([2, 3]))).toThrow(/convkit.matmul.*\[2,3\]/);
    expectThrows(() => matmul(zeros([2]), zeros([2, 3])), 'RangeError', /2-D or 3-D/);
    expectThrows(() => matmul(zeros([2, 3]), {} as Tensor), 'TypeError', /Tensor for b/);
    const d = zeros([2, 2]);
    d.dispose();
    expect(() => matmul(d, zeros([2, 2]))).toThrow(/disposed/);
  });
});
