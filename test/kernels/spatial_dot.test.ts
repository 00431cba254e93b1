// spatialDot (out[o][c] = sum over i of a * b at [o][i][c]) against the double reference on
// every ISA path, and the broadcast-multiply gradient that uses it (productSumToShape): fused
// where the reduced axes are consecutive, multiply-and-reduce otherwise, same values.
import { F, runtime, tensor } from '../../lib';
import { productSumToShape, reduceNative, sumToShape } from '../../lib/kernels/reduce';
import { Generator } from '../../lib/random';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

describeEachIsa('spatialDot', () => {
  for (const threads of [1, 2])
    test(`odd sizes against the reference, ${threads} thread(s)`, () => {
      runtime.setNumThreads(threads);
      try {
        const g = new Generator(5);
        // C: tails of every lane width and the 4-vector blocks; inner: one row, one block of
        // 256 rows, several blocks; outer 1 (rows split between threads) and a batch.
        for (const [outer, inner, C] of [
          [1, 1, 1],
          [1, 300, 3],
          [3, 7, 7],
          [2, 600, 13],
          [5, 17, 17],
          [1, 5000, 64],
          [16, 49, 67],
          [2, 9, 130],
        ]) {
          const a = randomArray(outer * inner * C, g),
            b = randomArray(outer * inner * C, g);
          const got = new Float32Array(outer * C).fill(NaN),
            want = new Float32Array(outer * C);
          reduceNative.spatialDot(a, b, outer, inner, C, got);
          reduceNative.spatialDotReference(a, b, outer, inner, C, want);
          // float sums of <= 256 products, then double: 256 * 2^-24 relative to sum |a b|.
          const { error } = maxRelativeError(got, want);
          expect({
            outer,
            inner,
            C,
            ok: error <= 256 * 2 ** -24 * Math.sqrt(inner) + 1e-6,
          }).toEqual({
            outer,
            inner,
            C,
            ok: true,
          });
        }
      } finally {
        runtime.setNumThreads(runtime.info().maxThreads);
      }
    });

  test('bad arguments name the op and the value', () => {
    const a = new Float32Array(12);
    expect(() => reduceNative.spatialDot(a, a, 2, 3, 2, new Float32Array(3))).toThrow(
      /spatialDot.*out/,
    );
    expect(() => reduceNative.spatialDot(a, new Float32Array(11), 2, 3, 2, a)).toThrow(
      /spatialDot.*b/,
    );
    expect(() => reduceNative.spatialDot(a, a, -1, 3, 2, a)).toThrow(/spatialDot.*outer/);
  });
});

describe('broadcast multiply gradient', () => {
  test('fused and unfused reductions agree; non-consecutive axes fall back', () => {
    const g = new Generator(9);
    const a = tensor(randomArray(2 * 5 * 6 * 3, g), [2, 5, 6, 3]);
    const b = tensor(randomArray(2 * 5 * 6 * 3, g), [2, 5, 6, 3]);
    for (const shape of [[2, 1, 1, 3], [1, 1, 1, 3], [3], [2, 5, 1, 1]]) {
      const fused = productSumToShape(a, b, shape);
      expect(fused).not.toBeNull();
      const want = sumToShape(F.mul(a, b), shape);
      expect(maxRelativeError(fused!.data, want.data).error).toBeLessThan(1e-6);
    }
    // [2, 1, 6, 1] reduces axes 1 and 3: not consecutive.
    expect(productSumToShape(a, b, [2, 1, 6, 1])).toBeNull();
    // Through autograd: d/ds sum(x * s) with s [N, 1, 1, C] is sum over H, W of x.
    const s = tensor(randomArray(2 * 3, g), [2, 1, 1, 3]);
    s.requiresGrad = true;
    F.sum(F.mul(a, s)).backward();
    const want = sumToShape(a, [2, 1, 1, 3]);
    expect(maxRelativeError(s.grad!.data, want.data).error).toBeLessThan(1e-6);
  });
});
