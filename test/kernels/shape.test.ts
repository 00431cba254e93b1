// concat / split, permute (incl. NHWC <-> NCHW), pad and channel-major flatten vs the scalar
// references on every ISA path (the ops are pure data movement: results must be exact).
import { runtime, tensor } from '../../lib';
import { Generator } from '../../lib/random';
import {
  concat,
  copyChannels,
  flattenChannelMajor,
  flattenChannelMajorBackward,
  inversePermutation,
  nchwToNhwc,
  nhwcToNchw,
  pad,
  padBackward,
  permute,
  shapeNative,
  split,
} from '../../lib/kernels/shape';
import { Tensor } from '../../lib/tensor';
import { describeEachIsa, randomArray } from '../helpers';

function input(shape: number[], seed: number): Tensor {
  return tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      new Generator(seed),
    ),
    shape,
  );
}

function exact(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  if (got.length !== want.length)
    throw new Error(`${what}: length ${got.length} != ${want.length}`);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i]))
      throw new Error(`${what}: element ${i} is ${got[i]}, reference ${want[i]}`);
}

const permShapes: [number[], number[]][] = [
  [
    [3, 9, 11, 64],
    [0, 3, 1, 2],
  ],
  [
    [1, 33, 17, 13],
    [0, 3, 1, 2],
  ],
  [
    [3, 13, 5, 7],
    [0, 2, 3, 1],
  ],
  [
    [2, 3, 4, 5],
    [3, 2, 1, 0],
  ],
  [
    [2, 3, 4, 5],
    [1, 0, 2, 3],
  ],
  [
    [5, 1, 7, 3],
    [2, 1, 3, 0],
  ],
  [
    [8, 17, 33, 64],
    [0, 3, 1, 2],
  ],
  [[17], [0]],
];

describeEachIsa('shape', () => {
  for (const threads of [2, 1]) {
    describe(`${threads} thread(s)`, () => {
      beforeAll(() => runtime.setNumThreads(threads));
      afterAll(() => runtime.setNumThreads(runtime.info().maxThreads));

      test('concat along every axis (DenseNet channels included) and split back', () => {
        let seed = 1;
        for (const base of [
          [3, 7, 5, 13],
          [1, 33, 17, 1],
          [8, 28, 28, 32],
        ])
          for (let axis = 0; axis < 4; axis++) {
            const sizes = [1, 3, 7, 17].map((s) => (axis === 0 && base[0] === 8 ? s : s));
            const parts = sizes.map((s) =>
              input(
                base.map((d, k) => (k === axis ? s : d)),
                seed++,
              ),
            );
            const joined = concat(parts, axis);
            const outer = base.slice(0, axis).reduce((a, b) => a * b, 1),
              after = base.slice(axis + 1).reduce((a, b) => a * b, 1);
            const want = new Float32Array(joined.size).fill(NaN);
            shapeNative.concatRowsReference(
              want,
              parts.map((t) => t.data),
              sizes.map((s) => s * after),
              outer,
            );
            exact(joined.data, want, `concat [${base}] axis ${axis}`);
            const back = split(joined, sizes, axis - 4);
            back.forEach((t, i) =>
              exact(t.data, parts[i].data, `split [${base}] axis ${axis} part ${i}`),
            );
            [...parts, joined, ...back].forEach((t) => t.dispose());
          }
      });

      test('permute (general and NHWC <-> NCHW) and its inverse', () => {
        let seed = 100;
        for (const [shape, perm] of permShapes) {
          const x = input(shape, seed++);
          const y = permute(x, perm);
          const want = new Float32Array(y.size).fill(NaN);
          shapeNative.permuteReference(x.data, shape, perm, want);
          exact(y.data, want, `permute [${shape}] by [${perm}]`);
          const back = permute(y, inversePermutation(perm));
          exact(back.data, x.data, `inverse permute [${shape}]`);
          [x, y, back].forEach((t) => t.dispose());
        }
        const x = input([3, 5, 7, 13], 7);
        exact(nchwToNhwc(nhwcToNchw(x)).data, x.data, 'NHWC round trip');
      });

      test('constant pad on any axes and its backward', () => {
        let seed = 200;
        const cases: [number[], [number, number][]][] = [
          [
            [3, 7, 5, 13],
            [
              [0, 0],
              [1, 1],
              [2, 0],
              [0, 0],
            ],
          ],
          [
            [1, 33, 17, 3],
            [
              [0, 0],
              [0, 3],
              [1, 2],
              [0, 5],
            ],
          ],
          [
            [2, 3],
            [
              [1, 2],
              [3, 0],
            ],
          ],
          [[17], [[0, 4]]],
          [
            [8, 56, 56, 64],
            [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ],
          ],
        ];
        for (const [shape, padding] of cases) {
          const x = input(shape, seed++);
          const y = pad(x, padding, -2.5);
          const before = padding.map((p) => p[0]),
            after = padding.map((p) => p[1]);
          const want = new Float32Array(y.size);
          shapeNative.padConstantReference(x.data, shape, before, after, -2.5, want);
          exact(y.data, want, `pad [${shape}]`);
          const back = padBackward(y, padding);
          exact(back.data, x.data, `padBackward [${shape}]`);
          [x, y, back].forEach((t) => t.dispose());
        }
      });
    });
  }

  test('flattenChannelMajor follows PyTorch NCHW flatten order, and its backward inverts it', () => {
    const [N, H, W, C] = [2, 3, 5, 7];
    const x = input([N, H, W, C], 9);
    const f = flattenChannelMajor(x);
    expect(f.shape).toEqual([N, C * H * W]);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++)
            expect(f.data[n * C * H * W + (c * H + h) * W + w]).toBe(
              x.data[((n * H + h) * W + w) * C + c],
            );
    exact(flattenChannelMajorBackward(f, [N, H, W, C]).data, x.data, 'flatten backward');
  });
});

describe('copyChannels', () => {
  test('copies a channel slice into and out of a wider tensor, leaving the rest', () => {
    for (const [rows, srcC, dstC, width, srcOffset, dstOffset] of [
      [1, 3, 7, 3, 0, 4],
      [33, 17, 40, 13, 4, 27],
      [3000, 32, 256, 32, 0, 100], // two threads
      // 8 MiB destinations: streamed stores (whole 64-byte lines), and where a row's start
      // is not on a line (offset 40) or the width is not whole lines (24), plain copies
      [8200, 32, 256, 32, 0, 96],
      [8200, 256, 256, 256, 0, 0],
      [8200, 48, 256, 32, 16, 40],
      [8200, 32, 256, 24, 8, 64],
      [8200, 256, 32, 32, 224, 0], // out of a wide tensor
    ]) {
      const src = input([1, rows, 1, srcC], rows);
      const dst = input([1, rows, 1, dstC], rows + 1);
      const want = dst.data.slice();
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < width; j++)
          want[r * dstC + dstOffset + j] = src.data[r * srcC + srcOffset + j];
      copyChannels(src, srcOffset, dst, dstOffset, width);
      exact(dst.data, want, `copyChannels ${rows}x${srcC} -> ${dstC}`);
    }
  });

  test('bad offsets and shapes throw naming the op and value', () => {
    const a = tensor(new Float32Array(24), [2, 3, 4]);
    const b = tensor(new Float32Array(48), [2, 3, 8]);
    expect(() => copyChannels(a, 1, b, 0, 4)).toThrow(/convkit\.copyChannels: .*srcOffset/);
    expect(() => copyChannels(a, 0, b, 5, 4)).toThrow(/convkit\.copyChannels: .*dstOffset.*5/);
    expect(() => copyChannels(a, 0, tensor(new Float32Array(16), [2, 2, 4]), 0, 4)).toThrow(
      /convkit\.copyChannels: .*leading dimensions/,
    );
    expect(() => shapeNative.copyColumns(6, 4, a.data, 4, 1, b.data, 8, 0)).toThrow(
      /convkit\.copyColumns: src columns \[1, 5\) exceed its row of 4/,
    );
    expect(() => shapeNative.copyColumns(7, 4, a.data, 4, 0, b.data, 8, 0)).toThrow(
      /convkit\.copyColumns: src holds 24/,
    );
  });
});

describe('shape arguments', () => {
  const a = tensor(new Float32Array(24), [2, 3, 4]);
  test('bad axes, shapes and permutations throw naming the op and value', () => {
    expect(() => concat([a, tensor(new Float32Array(6), [2, 3, 1])], 1)).toThrow(
      /convkit\.concat: .*tensors\[1\]/,
    );
    expect(() => concat([a], 3)).toThrow(RangeError);
    expect(() => concat([a], 3)).toThrow(/axis.*3/);
    expect(() => split(a, [1, 1], 1)).toThrow(/convkit\.split: .*sizes adding up to 3/);
    expect(() => permute(a, [0, 0, 1])).toThrow(/convkit\.permute: .*permutation/);
    expect(() =>
      pad(a, [
        [0, 0],
        [-1, 0],
        [0, 0],
      ]),
    ).toThrow(/convkit\.pad: .*padding\[1\]\[0\].*-1/);
    expect(() => pad(a, [[0, 0]])).toThrow(RangeError);
    expect(() => flattenChannelMajor(a)).toThrow(/4-D/);
    expect(() => shapeNative.permute(a.data, [2, 3, 4], [0, 1, 5], new Float32Array(24))).toThrow(
      /convkit\.permute: perm \[0, 1, 5\]/,
    );
    expect(() => shapeNative.concatRows(new Float32Array(3), [a.data], [24], 1)).toThrow(
      /convkit\.concatRows: joined holds 3/,
    );
    expect(() =>
      shapeNative.padConstant(a.data, [2, 3, 4], [1, 1, 1], [0, 0], 0, new Float32Array(100)),
    ).toThrow(/convkit\.padConstant/);
  });
});
