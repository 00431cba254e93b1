// Dropout: the same mask as the scalar reference on every ISA path, keep rate within
// statistical bounds, reproducible for a (seed, counter), identical on 1 and 2 threads,
// p = 0 identity / p = 1 zeros, backward with the same mask, and bad arguments.
import { runtime, tensor } from '../../lib';
import { dropout, dropoutBackward, dropoutNative } from '../../lib/kernels/dropout';
import { Generator } from '../../lib/random';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

function run(
  x: Float32Array,
  p: number,
  seed: number | bigint,
  counter: number | bigint,
  reference = false,
): { y: Float32Array; mask: Uint8Array } {
  const y = new Float32Array(x.length),
    mask = new Uint8Array(x.length);
  (reference ? dropoutNative.dropoutForwardReference : dropoutNative.dropoutForward)(
    x,
    y,
    mask,
    x.length,
    p,
    seed,
    counter,
  );
  return { y, mask };
}

describeEachIsa('dropout', () => {
  const g = new Generator(7);
  const x = randomArray(100003, g);

  test('matches the reference (mask exactly, values to float rounding of the scale)', () => {
    for (const n of [1, 3, 17, 1000, 100003])
      for (const p of [0, 0.1, 0.5, 0.9, 1]) {
        const xs = x.subarray(0, n);
        const got = run(xs, p, 42, 5),
          want = run(xs, p, 42, 5, true);
        expect(Buffer.compare(Buffer.from(got.mask), Buffer.from(want.mask))).toBe(0);
        // x * float(1/(1-p)) vs x * (1/(1-p)) rounded once: within 1 ulp.
        expect(maxRelativeError(got.y, want.y).error).toBeLessThanOrEqual(2 ** -23);
        const dy = randomArray(n, g);
        const dx = new Float32Array(n),
          dxRef = new Float32Array(n);
        dropoutNative.dropoutBackward(dy, got.mask, dx, n, p);
        dropoutNative.dropoutBackwardReference(dy, got.mask, dxRef, n, p);
        expect(maxRelativeError(dx, dxRef).error).toBeLessThanOrEqual(2 ** -23);
      }
  });

  test('keep rate within 5 standard deviations, also per block of the stream', () => {
    const n = x.length;
    for (const p of [0.1, 0.5, 0.9]) {
      const { mask } = run(x, p, 1234, 0);
      const kept = mask.reduce((a, b) => a + b, 0) / n;
      const sigma = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept - (1 - p))).toBeLessThan(5 * sigma);
      // Blocks of 10000: a generator that failed locally (e.g. per thread chunk) would show.
      for (let b = 0; b + 10000 <= n; b += 10000) {
        const k = mask.subarray(b, b + 10000).reduce((a, v) => a + v, 0) / 10000;
        expect(Math.abs(k - (1 - p))).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / 10000));
      }
      // Neighbours are independent: P(both kept) ~ (1-p)^2.
      let both = 0;
      for (let i = 1; i < n; i++) both += mask[i] & mask[i - 1];
      expect(Math.abs(both / (n - 1) - (1 - p) ** 2)).toBeLessThan(
        5 * Math.sqrt(((1 - p) ** 2 * (1 - (1 - p) ** 2)) / n),
      );
    }
  });

  test('reproducible for a seed, different across seeds, counter continues the stream', () => {
    const a = run(x, 0.5, 99, 0),
      b = run(x, 0.5, 99, 0),
      c = run(x, 0.5, 100, 0);
    expect(Buffer.compare(Buffer.from(a.mask), Buffer.from(b.mask))).toBe(0);
    let same = 0;
    for (let i = 0; i < x.length; i++) same += a.mask[i] === c.mask[i] ? 1 : 0;
    expect(same / x.length).toBeGreaterThan(0.45);
    expect(same / x.length).toBeLessThan(0.55);
    // Elements [1000, n) with counter 1000 are the same as elements 1000.. of the counter-0 call.
    const tail = run(x.subarray(1000), 0.5, 99, 1000);
    expect(Buffer.compare(Buffer.from(tail.mask), Buffer.from(a.mask.subarray(1000)))).toBe(0);
    // 64-bit seeds and counters as BigInt: equal to the number form where both exist.
    const big = run(x.subarray(0, 100), 0.5, 99n, 0n);
    expect(Buffer.compare(Buffer.from(big.mask), Buffer.from(a.mask.subarray(0, 100)))).toBe(0);
    const huge = run(x.subarray(0, 100), 0.5, (1n << 64n) - 1n, (1n << 63n) + 5n);
    expect(huge.mask.some((v) => v === 1) && huge.mask.some((v) => v === 0)).toBe(true);
  });

  test('identical on 1 and 2 threads', () => {
    const results = [1, 2].map((threads) => {
      runtime.setNumThreads(threads);
      return run(x, 0.3, 5, 17);
    });
    runtime.setNumThreads(runtime.info().maxThreads);
    expect(Buffer.compare(Buffer.from(results[0].mask), Buffer.from(results[1].mask))).toBe(0);
    expect(Buffer.compare(Buffer.from(results[0].y.buffer), Buffer.from(results[1].y.buffer))).toBe(
      0,
    );
  });

  test('p = 0 is the identity, p = 1 all zeros, kept values scaled by 1/(1-p)', () => {
    const t = tensor(x.subarray(0, 1000));
    const identity = dropout(t, { p: 0, seed: 1 });
    expect(
      Buffer.compare(Buffer.from(identity.output.data.buffer), Buffer.from(t.data.buffer)),
    ).toBe(0);
    expect(identity.mask.every((v) => v === 1)).toBe(true);
    const none = dropout(t, { p: 1, seed: 1 });
    expect(none.output.data.every((v) => v === 0)).toBe(true);
    expect(dropoutBackward(t, none.mask, 1).data.every((v) => v === 0)).toBe(true);
    const half = dropout(t, { p: 0.25, seed: 3, counter: 10 });
    const dx = dropoutBackward(t, half.mask, 0.25).data;
    for (let i = 0; i < 1000; i++) {
      const want = half.mask[i] ? Math.fround(t.data[i] * Math.fround(1 / 0.75)) : 0;
      expect(half.output.data[i]).toBe(want);
      expect(dx[i]).toBe(want);
    }
  });
});

describe('dropout arguments', () => {
  const t = tensor([1, 2, 3]);
  test('p outside [0, 1], bad seeds, mask length', () => {
    expect(() => dropout(t, { p: 1.5, seed: 1 })).toThrow(
      /convkit.dropout: expected a probability in \[0, 1\] for p but received 1.5/,
    );
    expect(() => dropout(t, { p: -0.1, seed: 1 })).toThrow(RangeError);
    expect(() => dropout(t, { p: NaN, seed: 1 })).toThrow(RangeError);
    expect(() => dropout(t, { p: 0.5, seed: -1 })).toThrow(/convkit.dropout: .*seed/);
    expect(() => dropout(t, { p: 0.5, seed: 1n << 64n })).toThrow(/seed/);
    expect(() => dropout(t, { p: 0.5, seed: 'x' as unknown as number })).toThrow(TypeError);
    expect(() => dropoutBackward(t, new Uint8Array(2), 0.5)).toThrow(
      /convkit.dropoutBackward: expected 3 elements like dy for mask/,
    );
  });
  test('the binding re-checks', () => {
    const y = new Float32Array(3),
      mask = new Uint8Array(3);
    expect(() => dropoutNative.dropoutForward(t.data, y, mask, 3, 2, 1, 0)).toThrow(
      /convkit.dropoutForward: expected p in \[0, 1\]/,
    );
    expect(() => dropoutNative.dropoutForward(t.data, y, new Uint8Array(2), 3, 0.5, 1, 0)).toThrow(
      /mask holds 2 elements/,
    );
    expect(() => dropoutNative.dropoutForward(t.data, y, mask, 3, 0.5, -(2n ** 70n), 0)).toThrow(
      /seed/,
    );
  });
});
