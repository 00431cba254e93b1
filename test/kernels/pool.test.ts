// Pooling (max, avg, adaptive avg, global max) forward and backward vs the scalar references
// on every ISA path, over odd sizes, ceilMode edge cases and bad arguments.
import { runtime, tensor } from '../../lib';
import {
  adaptiveAvgPool2d,
  adaptiveAvgPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  AvgPool2dOptions,
  globalAvgPool2d,
  globalMaxPool2d,
  globalMaxPool2dBackward,
  maxPool2d,
  maxPool2dBackward,
  MaxPool2dOptions,
  poolNative,
} from '../../lib/kernels/pool';
import { Generator } from '../../lib/random';
import { Tensor } from '../../lib/tensor';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

const pairOf = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

function windowArgs(shape: readonly number[], o: MaxPool2dOptions) {
  const k = pairOf(o.kernelSize, 1);
  const s = o.stride === undefined ? k : pairOf(o.stride, 1);
  const p = pairOf(o.padding, 0),
    d = pairOf(o.dilation, 1);
  return [
    shape[0],
    shape[1],
    shape[2],
    shape[3],
    k[0],
    k[1],
    s[0],
    s[1],
    p[0],
    p[1],
    d[0],
    d[1],
    o.ceilMode ?? false,
  ] as const;
}

function input(shape: number[], seed: number): Tensor {
  return tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      new Generator(seed),
    ),
    shape,
  );
}

// Mixed sizes: every channel count meets batch 1 and 3 and odd, non-square planes up to 33.
const planes: [number, number][] = [
  [1, 1],
  [2, 3],
  [5, 5],
  [7, 4],
  [9, 13],
  [16, 11],
  [33, 17],
];
const channels = [1, 3, 7, 13, 17, 64];
const cases: { N: number; H: number; W: number; C: number }[] = [];
channels.forEach((C, i) =>
  planes.forEach(([H, W], j) =>
    (i + j) % 2 === 0 || j === 0 || j === planes.length - 1
      ? cases.push({ N: (i + j) % 4 ? 1 : 3, H, W, C })
      : 0,
  ),
);

// References are computed once per case and shared by every ISA path and thread count.
const memo = new Map<string, Float32Array | Int32Array>();
function cached<T extends Float32Array | Int32Array>(key: string, make: () => T): T {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as T;
}

function exact(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i]))
      throw new Error(`${what}: element ${i} is ${got[i]}, reference ${want[i]}`);
}

const maxOptions: MaxPool2dOptions[] = [
  { kernelSize: 1 },
  { kernelSize: 2 },
  { kernelSize: 3, stride: 2, padding: 1 },
  { kernelSize: 3, stride: 2, ceilMode: true },
  { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], ceilMode: true },
  { kernelSize: 3, stride: 1, padding: 1, dilation: 2 },
  { kernelSize: [2, 3], stride: 3, dilation: [2, 1], ceilMode: true },
];

function fits(H: number, W: number, o: MaxPool2dOptions): boolean {
  const [, , , , kh, kw, sh, sw, ph, pw, dh, dw, ceil] = windowArgs([1, H, W, 1], o);
  return (
    poolNative.poolOutputSize(H, kh, ph, sh, dh, ceil) >= 1 &&
    poolNative.poolOutputSize(W, kw, pw, sw, dw, ceil) >= 1
  );
}

function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tolerance: number,
  what: string,
): void {
  const r = maxRelativeError(got, want);
  if (!(r.error <= tolerance))
    throw new Error(`${what}: error ${r.error} at ${r.index} > ${tolerance}`);
}

describeEachIsa('pool', () => {
  for (const threads of [2, 1]) {
    describe(`${threads} thread(s)`, () => {
      beforeAll(() => runtime.setNumThreads(threads));
      afterAll(() => runtime.setNumThreads(runtime.info().maxThreads));
      // One thread takes the serial paths; a third of the cases is enough there.
      const someCases = threads === 2 ? cases : cases.filter((_, i) => i % 3 === 0);

      test('maxPool2d forward (values and indices exact) and backward', () => {
        let seed = 1;
        for (const c of someCases)
          for (const o of maxOptions) {
            if (!fits(c.H, c.W, o)) continue;
            const shape = [c.N, c.H, c.W, c.C];
            const x = input(shape, seed++);
            const { output, indices } = maxPool2d(x, o);
            const what = `maxPool2d ${JSON.stringify({ ...c, ...o, seed })}`;
            const wantIdx = cached(`${what} idx`, () => new Int32Array(output.size));
            const wantOut = cached(`${what} out`, () => {
              const out = new Float32Array(output.size);
              poolNative.maxPool2dReference(...windowArgs(shape, o), x.data, out, wantIdx);
              return out;
            });
            exact(output.data, wantOut, what);
            exact(indices, wantIdx, what);
            const g = input(output.shape as number[], seed++);
            const gin = maxPool2dBackward(g, indices, shape, o);
            const wantGin = cached(`${what} gin`, () => {
              const r = new Float32Array(gin.size).fill(NaN);
              poolNative.maxPool2dBackwardReference(...windowArgs(shape, o), g.data, indices, r);
              return r;
            });
            // Each input gathers at most ceil(k/s)^2 window maxima (<= 9 here) in float.
            expectClose(gin.data, wantGin, 16 * 2 ** -24, what);
            [x, output, g, gin].forEach((t) => t.dispose());
          }
      });

      test('avgPool2d forward and backward (countIncludePad, divisorOverride, ceilMode)', () => {
        let seed = 500;
        const variants: Partial<AvgPool2dOptions>[] = [
          {},
          { countIncludePad: false },
          { divisorOverride: 5 },
        ];
        for (const c of someCases)
          for (const o of maxOptions.filter((m) => m.dilation === undefined))
            for (const v of variants) {
              const opts = { ...o, ...v } as AvgPool2dOptions;
              if (!fits(c.H, c.W, opts)) continue;
              const shape = [c.N, c.H, c.W, c.C];
              const x = input(shape, seed++);
              const out = avgPool2d(x, opts);
              const extras = [opts.countIncludePad ?? true, opts.divisorOverride ?? 0] as const;
              const what = `avgPool2d ${JSON.stringify({ ...c, ...opts, seed })}`;
              const want = cached(`${what} out`, () => {
                const r = new Float32Array(out.size).fill(NaN);
                poolNative.avgPool2dReference(...windowArgs(shape, opts), ...extras, x.data, r);
                return r;
              });
              // float sums of <= 9 terms of |x| <= 1 against double: a few ulps.
              expectClose(out.data, want, 16 * 2 ** -24, what);
              const g = input(out.shape as number[], seed++);
              const gin = avgPool2dBackward(g, shape, opts);
              const wantGin = cached(`${what} gin`, () => {
                const r = new Float32Array(gin.size).fill(NaN);
                poolNative.avgPool2dBackwardReference(
                  ...windowArgs(shape, opts),
                  ...extras,
                  g.data,
                  r,
                );
                return r;
              });
              expectClose(gin.data, wantGin, 16 * 2 ** -24, what);
              [x, out, g, gin].forEach((t) => t.dispose());
            }
      });

      test('adaptiveAvgPool2d (any output size, global) and global max pool', () => {
        let seed = 900;
        for (const c of someCases)
          for (const [OH, OW] of [
            [1, 1],
            [2, 3],
            [3, 3],
            [7, 5],
            [c.H + 2, c.W],
          ]) {
            const shape = [c.N, c.H, c.W, c.C];
            const x = input(shape, seed++);
            const out = adaptiveAvgPool2d(x, [OH, OW]);
            const what = `adaptiveAvgPool2d ${JSON.stringify({ ...c, OH, OW, seed })}`;
            const want = cached(`${what} out`, () => {
              const r = new Float32Array(out.size).fill(NaN);
              poolNative.adaptiveAvgPool2dReference(c.N, c.H, c.W, c.C, OH, OW, x.data, r);
              return r;
            });
            // Windows up to the whole plane (33 * 17 = 561 terms): float sum error ~ n * 2^-24.
            const tolerance = 2 * c.H * c.W * 2 ** -24;
            expectClose(out.data, want, tolerance, what);
            const g = input(out.shape as number[], seed++);
            const gin = adaptiveAvgPool2dBackward(g, shape);
            const wantGin = cached(`${what} gin`, () => {
              const r = new Float32Array(gin.size).fill(NaN);
              poolNative.adaptiveAvgPool2dBackwardReference(c.N, c.H, c.W, c.C, OH, OW, g.data, r);
              return r;
            });
            expectClose(gin.data, wantGin, 16 * 2 ** -24, what);
            [x, out, g, gin].forEach((t) => t.dispose());
          }
        for (const c of cases.slice(0, 12)) {
          const shape = [c.N, c.H, c.W, c.C];
          const x = input(shape, seed++);
          const { output, indices } = globalMaxPool2d(x);
          expect(output.shape).toEqual([c.N, 1, 1, c.C]);
          for (let n = 0; n < c.N; n++)
            for (let ch = 0; ch < c.C; ch++) {
              let best = -Infinity,
                at = -1;
              for (let i = 0; i < c.H * c.W; i++) {
                const v = x.data[(n * c.H * c.W + i) * c.C + ch];
                if (v > best) {
                  best = v;
                  at = i;
                }
              }
              expect([output.data[n * c.C + ch], indices[n * c.C + ch]]).toEqual([best, at]);
            }
          const gin = globalMaxPool2dBackward(output, indices, shape);
          let total = 0;
          gin.data.forEach((v) => (total += v));
          let want = 0;
          output.data.forEach((v) => (want += v));
          expect(total).toBeCloseTo(want, 4);
          const avg = globalAvgPool2d(x);
          expect(avg.shape).toEqual([c.N, 1, 1, c.C]);
          [x, output, gin, avg].forEach((t) => t.dispose());
        }
      });
    });
  }
});

describe('pool semantics (PyTorch values)', () => {
  test('output sizes follow PyTorch, including the ceilMode last-window rule', () => {
    // [in, kernel, pad, stride, dilation, ceil] -> torch output size
    const table: [number, number, number, number, number, boolean, number][] = [
      [112, 3, 1, 2, 1, false, 56],
      [5, 2, 0, 2, 1, true, 3],
      [5, 2, 0, 2, 1, false, 2],
      [3, 2, 1, 2, 1, true, 2],
      [6, 3, 1, 2, 1, true, 4],
      [6, 3, 1, 2, 1, false, 3],
      [7, 3, 0, 3, 1, true, 3],
      [10, 3, 1, 2, 2, true, 5],
      [1, 1, 0, 1, 1, true, 1],
    ];
    for (const [i, k, p, s, d, c, want] of table)
      expect([i, k, p, s, d, c, poolNative.poolOutputSize(i, k, p, s, d, c)]).toEqual([
        i,
        k,
        p,
        s,
        d,
        c,
        want,
      ]);
  });

  test('max pool: NaN propagates, ties keep the first index, -inf windows keep the first valid position', () => {
    const x = tensor([1, NaN, 3, 3, -Infinity, -Infinity, 2, 2], [1, 2, 4, 1]);
    const { output, indices } = maxPool2d(x, { kernelSize: 2 });
    expect(Array.from(output.data)).toEqual([NaN, 3]);
    expect(Array.from(indices)).toEqual([1, 2]);
    const y = tensor([-Infinity, -Infinity, -Infinity, -Infinity], [1, 2, 2, 1]);
    const r = maxPool2d(y, { kernelSize: 3, stride: 1, padding: 1 });
    expect(Array.from(r.indices)).toEqual([0, 0, 0, 0]);
  });

  test('max pool indices live in native memory: freed with dispose(), then rejected, not read', () => {
    const x = tensor([1, 5, 3, 4, 2, 6, 0, 7], [1, 2, 4, 1]);
    const dy = tensor([1, 1], [1, 1, 2, 1]);
    const before = runtime.memory.stats().liveBytes;
    const { output, indices, indexStorage } = maxPool2d(x, { kernelSize: 2 });
    expect(Array.from(indices)).toEqual([5, 7]);
    expect(runtime.memory.stats().liveBytes).toBeGreaterThan(before);
    const dx = maxPool2dBackward(dy, indices, x.shape, { kernelSize: 2 });
    expect(Array.from(dx.data)).toEqual([0, 0, 0, 0, 0, 1, 0, 1]);
    dx.dispose();
    output.dispose();
    indexStorage.dispose();
    expect(runtime.memory.stats().liveBytes).toBe(before);
    expect(() => maxPool2dBackward(dy, indices, x.shape, { kernelSize: 2 })).toThrow(
      /maxPool2dBackward.*indices/,
    );
  });

  test('avg pool divisors: countIncludePad, ceilMode windows past the padding, divisorOverride', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    // torch.nn.functional.avg_pool2d(x, 2, 2, padding=1, ceil_mode=True) on 1..9 (NCHW 3x3)
    expect(Array.from(avgPool2d(x, { kernelSize: 2, padding: 1, ceilMode: true }).data)).toEqual([
      0.25, 1.25, 2.75, 7,
    ]);
    expect(
      Array.from(
        avgPool2d(x, { kernelSize: 2, padding: 1, ceilMode: true, countIncludePad: false }).data,
      ),
    ).toEqual([1, 2.5, 5.5, 7]);
    expect(Array.from(avgPool2d(x, { kernelSize: 2, stride: 1, divisorOverride: 2 }).data)).toEqual(
      [6, 8, 12, 14],
    );
    // torch.nn.functional.adaptive_avg_pool2d(x, 2): windows [0,2) and [1,3)
    expect(Array.from(adaptiveAvgPool2d(x, 2).data)).toEqual([3, 4, 6, 7]);
  });
});

describe('pool arguments', () => {
  const x = tensor(new Float32Array(2 * 5 * 5 * 3), [2, 5, 5, 3]);
  test('bad options throw TypeError / RangeError naming the op and value', () => {
    expect(() => maxPool2d(x, { kernelSize: 3, stride: 0 })).toThrow(
      /convkit\.maxPool2d: .*stride.*0/,
    );
    expect(() => maxPool2d(x, { kernelSize: 3, padding: 2 })).toThrow(RangeError);
    expect(() => maxPool2d(x, { kernelSize: 3, padding: 2 })).toThrow(/padding/);
    expect(() => maxPool2d(x, { kernelSize: 7 })).toThrow(/convkit\.maxPool2d: .*kernelSize/);
    expect(() => avgPool2d(x, { kernelSize: -1 })).toThrow(RangeError);
    expect(() => avgPool2d(x, { kernelSize: 2, divisorOverride: 0 })).toThrow(/divisorOverride/);
    expect(() => maxPool2d(x, { kernelSize: '3' as unknown as number })).toThrow(TypeError);
    expect(() => maxPool2d(tensor([1, 2, 3]), { kernelSize: 1 })).toThrow(/4-D NHWC/);
    expect(() => adaptiveAvgPool2d(x, 0)).toThrow(/convkit\.adaptiveAvgPool2d: .*outputSize/);
    const r = maxPool2d(x, { kernelSize: 2 });
    expect(() => maxPool2dBackward(x, r.indices, [2, 5, 5, 3], { kernelSize: 2 })).toThrow(
      /gradOutput/,
    );
  });
  test('the binding re-checks sizes and buffers', () => {
    const args = [2, 5, 5, 3, 2, 2, 2, 2, 0, 0, 1, 1, false] as const;
    expect(() =>
      poolNative.maxPool2d(...args, x.data, new Float32Array(4), new Int32Array(100)),
    ).toThrow(/convkit\.maxPool2d: output holds 4/);
    expect(() =>
      poolNative.maxPool2d(
        ...args,
        x.data,
        new Float32Array(24),
        new Float32Array(24) as unknown as Int32Array,
      ),
    ).toThrow(/expected an Int32Array for indices/);
    expect(() =>
      poolNative.maxPool2d(
        2,
        5,
        5,
        3,
        3,
        3,
        2,
        2,
        2,
        2,
        1,
        1,
        false,
        x.data,
        new Float32Array(100),
        new Int32Array(100),
      ),
    ).toThrow(/padding/);
    expect(() =>
      poolNative.avgPool2d(
        2,
        5,
        5,
        3,
        2,
        2,
        0,
        2,
        0,
        0,
        1,
        1,
        false,
        true,
        0,
        x.data,
        new Float32Array(100),
      ),
    ).toThrow(/convkit\.avgPool2d: expected stride\[0\] in \[1/);
  });
});
