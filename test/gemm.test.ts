// sgemm against the scalar reference on every ISA path, across tile tails, transposes,
// alpha/beta, padded leading dimensions and thread counts.
import { runtime } from '../lib';
import { native } from '../lib/native';
import { Generator } from '../lib/random';
import { describeEachIsa, expectThrows, maxRelativeError, randomArray } from './helpers';

interface Case {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  pad: number; // extra elements per row in lda/ldb/ldc
}

function runCase(c: Case, seed: number): { error: number; index: number; tolerance: number } {
  const g = new Generator(seed);
  const aRows = c.transA ? c.K : c.M,
    aCols = c.transA ? c.M : c.K;
  const bRows = c.transB ? c.N : c.K,
    bCols = c.transB ? c.K : c.N;
  const lda = Math.max(aCols, 1) + c.pad,
    ldb = Math.max(bCols, 1) + c.pad,
    ldc = Math.max(c.N, 1) + c.pad;
  const A = randomArray(aRows * lda, g);
  const B = randomArray(bRows * ldb, g);
  const C0 = randomArray(c.M * ldc, g);
  // beta = 0 must not read C: fill it with NaN so a read would show.
  if (c.beta === 0) C0.fill(NaN);
  const got = C0.slice();
  const want = C0.slice();
  native.sgemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, A, lda, B, ldb, c.beta, got, ldc);
  native.sgemmReference(
    c.transA,
    c.transB,
    c.M,
    c.N,
    c.K,
    c.alpha,
    A,
    lda,
    B,
    ldb,
    c.beta,
    want,
    ldc,
  );
  // float32 accumulation of K products of values in [-1, 1]: the rounding error grows at most
  // like K * 2^-24 per term (worst case, blocked sums grow slower); 4x that plus a floor.
  const tolerance = 4 * Math.max(c.K, 1) * 2 ** -24 * (Math.abs(c.alpha) + 1) + 1e-6;
  // Padding columns of C must be left untouched.
  for (let i = 0; i < c.M; i++)
    for (let j = c.N; j < ldc; j++)
      if (!Object.is(got[i * ldc + j], C0[i * ldc + j]))
        return { error: Infinity, index: i * ldc + j, tolerance };
  const logical = (x: Float32Array) =>
    Float32Array.from({ length: c.M * c.N }, (_, k) => x[Math.floor(k / c.N) * ldc + (k % c.N)]);
  return { ...maxRelativeError(logical(got), logical(want)), tolerance };
}

const sizes = [1, 3, 7, 13, 16, 17, 28, 32, 33, 57, 100, 257];

describeEachIsa('sgemm', () => {
  for (const threads of [1, 2]) {
    describe(`${threads} thread(s)`, () => {
      beforeAll(() => runtime.setNumThreads(threads));
      afterAll(() => runtime.setNumThreads(runtime.info().maxThreads));

      test('square and non-square sizes, all transposes', () => {
        let seed = 1;
        for (const M of sizes)
          for (const N of [1, 7, 16, 17, 33, 100])
            for (const K of [1, 13, 257])
              for (const transA of [false, true])
                for (const transB of [false, true]) {
                  if ((M > 33 || N > 33) && (transA || transB) && K === 1) continue;
                  const c: Case = { M, N, K, transA, transB, alpha: 1, beta: 0, pad: 0 };
                  const r = runCase(c, seed++);
                  if (!(r.error <= r.tolerance))
                    throw new Error(
                      `sgemm ${JSON.stringify(c)}: error ${r.error} at ${r.index} > ${r.tolerance}`,
                    );
                }
      });

      test('rows a multiple of 4 KiB apart (A copied to a short stride first): lda 1024 and 2048', () => {
        let seed = 3000;
        for (const [M, N, K, lda] of [
          [45, 70, 300, 1024], // 3 full 14-row panels and a partial one, K in two blocks
          [28, 33, 1024, 1024],
          [17, 40, 600, 2048],
        ])
          for (const transB of [false, true]) {
            const c: Case = { M, N, K, transA: false, transB, alpha: 1.5, beta: 0.5, pad: lda - K };
            const r = runCase(c, seed++);
            if (!(r.error <= r.tolerance))
              throw new Error(
                `sgemm ${JSON.stringify(c)}: error ${r.error} at ${r.index} > ${r.tolerance}`,
              );
          }
      });

      test('alpha, beta and padded leading dimensions', () => {
        let seed = 1000;
        for (const [M, N, K] of [
          [13, 17, 33],
          [100, 33, 257],
          [257, 100, 13],
          [3, 257, 7],
        ])
          for (const [alpha, beta] of [
            [1, 1],
            [0.5, -2],
            [-1.5, 0],
            [0, 0.75],
            [2, 0],
          ])
            for (const pad of [0, 5])
              for (const transA of [false, true]) {
                const c: Case = { M, N, K, transA, transB: !transA, alpha, beta, pad };
                const r = runCase(c, seed++);
                if (!(r.error <= r.tolerance))
                  throw new Error(
                    `sgemm ${JSON.stringify(c)}: error ${r.error} at ${r.index} > ${r.tolerance}`,
                  );
              }
      });

      test('large shapes that cross every cache block', () => {
        for (const [M, N, K, transB] of [
          [513, 300, 700, true],
          [1030, 65, 576, true],
          [1030, 16, 576, true],
          [700, 9, 300, false],
          [200, 520, 1100, false],
        ] as const) {
          const r = runCase({ M, N, K, transA: false, transB, alpha: 1, beta: 0, pad: 0 }, M);
          expect(r.error).toBeLessThanOrEqual(r.tolerance);
        }
      });

      test('outputs of 16 MB+ with a short K (non-temporal stores of C) and edge tiles', () => {
        // C from the native pool (64-byte aligned, as tensors are), poisoned with NaN: beta = 0
        // must write every element; 65541 rows leave a partial row panel, N = 80 an edge panel.
        for (const [M, N, K] of [
          [65541, 64, 16],
          [52429, 80, 40],
        ]) {
          const g = new Generator(M);
          const A = randomArray(M * K, g),
            B = randomArray(K * N, g);
          const got = native.allocFloats(M * N, false);
          got.fill(NaN);
          const want = new Float32Array(M * N);
          native.sgemm(false, false, M, N, K, 1, A, K, B, N, 0, got, N);
          native.sgemmReference(false, false, M, N, K, 1, A, K, B, N, 0, want, N);
          const { error } = maxRelativeError(got, want);
          native.disposeFloats(got);
          expect(error).toBeLessThanOrEqual(4 * K * 2 ** -24 + 1e-6);
        }
      });

      test('empty sizes leave C alone or scale it', () => {
        const C = new Float32Array([1, 2, 3, 4]);
        native.sgemm(
          false,
          false,
          2,
          2,
          0,
          1,
          new Float32Array(0),
          1,
          new Float32Array(0),
          2,
          0.5,
          C,
          2,
        );
        expect(Array.from(C)).toEqual([0.5, 1, 1.5, 2]);
        native.sgemm(
          false,
          false,
          0,
          2,
          3,
          1,
          new Float32Array(0),
          3,
          new Float32Array(6),
          2,
          0,
          new Float32Array(0),
          2,
        );
      });
    });
  }
});

describe('sgemm rejects bad arguments without crashing', () => {
  const a = new Float32Array(6);
  const cases: Array<[string, () => void, RegExp, 'TypeError' | 'RangeError']> = [
    [
      'non-boolean transA',
      () => native.sgemm(1 as unknown as boolean, false, 2, 3, 1, 1, a, 1, a, 3, 0, a, 3),
      /transA/,
      'TypeError',
    ],
    [
      'negative M',
      () => native.sgemm(false, false, -1, 3, 1, 1, a, 1, a, 3, 0, a, 3),
      /M/,
      'RangeError',
    ],
    [
      'fractional N',
      () => native.sgemm(false, false, 2, 2.5, 1, 1, a, 1, a, 3, 0, a, 3),
      /N/,
      'RangeError',
    ],
    [
      'too-short A',
      () => native.sgemm(false, false, 4, 3, 2, 1, a, 2, a, 3, 0, new Float32Array(12), 3),
      /A holds 6/,
      'RangeError',
    ],
    [
      'lda below row length',
      () => native.sgemm(false, false, 2, 3, 2, 1, a, 1, a, 3, 0, a, 3),
      /lda/,
      'RangeError',
    ],
    [
      'overflowing sizes',
      () => native.sgemm(false, false, 2 ** 40, 2 ** 40, 1, 1, a, 1, a, 2 ** 40, 0, a, 2 ** 40),
      /overflows|holds/,
      'RangeError',
    ],
    [
      'not a Float32Array',
      () =>
        native.sgemm(false, false, 1, 1, 1, 1, [1] as unknown as Float32Array, 1, a, 1, 0, a, 1),
      /Float32Array for A/,
      'TypeError',
    ],
    [
      'missing arguments',
      () => (native.sgemm as unknown as () => void)(),
      /expected 13 arguments/,
      'TypeError',
    ],
  ];
  test.each(cases)('%s', (_name, call, message, type) => {
    expectThrows(call, type, message);
    expectThrows(call, type, /^convkit\.sgemm: /);
  });
  test('the process is still healthy afterwards', () => {
    const C = new Float32Array(1);
    native.sgemm(
      false,
      false,
      1,
      1,
      1,
      1,
      new Float32Array([3]),
      1,
      new Float32Array([4]),
      1,
      0,
      C,
      1,
    );
    expect(C[0]).toBe(12);
  });
});
