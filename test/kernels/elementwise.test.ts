// Broadcasting add / sub / mul / div and the reductions (sum, mean, sumToShape) vs the scalar
// references on every ISA path: a matrix of broadcast shapes (scalar, row, column, SE scale,
// leading 1s, both sides broadcasting), backward by sumToShape, and bad arguments.
import { runtime, tensor } from '../../lib';
import {
  add,
  binaryBackward,
  BinaryOpName,
  broadcastShapes,
  div,
  elementwiseNative,
  expandScaled,
  mul,
  sub,
} from '../../lib/kernels/elementwise';
import { mean, reduceBackward, reduceNative, sum, sumToShape } from '../../lib/kernels/reduce';
import { Generator } from '../../lib/random';
import { Tensor } from '../../lib/tensor';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

function input(shape: number[], seed: number, offset = 0): Tensor {
  const data = randomArray(
    shape.reduce((a, b) => a * b, 1),
    new Generator(seed),
  );
  if (offset) for (let i = 0; i < data.length; i++) data[i] += offset; // keep divisors away from 0
  return tensor(data, shape);
}

const pairs: [number[], number[]][] = [
  [
    [3, 7, 5, 13],
    [3, 7, 5, 13],
  ],
  [[3, 7, 5, 13], []],
  [[], [2, 9]],
  [[17, 33], [33]],
  [
    [17, 33],
    [17, 1],
  ],
  [
    [3, 9, 11, 64],
    [3, 1, 1, 64],
  ], // SE scale
  [
    [1, 9, 11, 17],
    [3, 1, 1, 17],
  ], // both sides broadcast
  [
    [5, 1, 7],
    [1, 3, 1],
  ],
  [
    [1, 1, 13],
    [6, 13],
  ], // leading 1s
  [
    [3, 1, 5, 1],
    [4, 1, 7],
  ],
  [
    [2, 3, 4, 5],
    [3, 1, 5],
  ],
  [[64 * 33 * 17], [64 * 33 * 17]], // long rows: split into chunks across threads
  [
    [8, 33, 17, 64],
    [8, 33, 17, 64],
  ],
  [
    [0, 3],
    [1, 3],
  ],
];

describeEachIsa('elementwise', () => {
  for (const threads of [2, 1]) {
    describe(`${threads} thread(s)`, () => {
      beforeAll(() => runtime.setNumThreads(threads));
      afterAll(() => runtime.setNumThreads(runtime.info().maxThreads));

      test('binary ops match the reference over the broadcast matrix (exact: one rounding each)', () => {
        let seed = 1;
        for (const [aShape, bShape] of pairs)
          for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOpName[]) {
            const a = input(aShape, seed++),
              b = input(bShape, seed++, op === 'div' ? 2 : 0);
            const outShape = broadcastShapes(op, aShape, bShape);
            const got = { add, sub, mul, div }[op](a, b);
            expect(got.shape).toEqual(outShape);
            const want = new Float32Array(got.size).fill(NaN);
            elementwiseNative.binaryBroadcastReference(
              op,
              a.data,
              aShape,
              b.data,
              bShape,
              want,
              outShape,
            );
            for (let i = 0; i < want.length; i++)
              if (!Object.is(got.data[i], want[i]))
                throw new Error(
                  `${op} [${aShape}] [${bShape}]: element ${i} ${got.data[i]} != ${want[i]}`,
                );
            [a, b, got].forEach((t) => t.dispose());
          }
      });

      test('scalar operands on either side and in-place aliasing', () => {
        const a = input([3, 5, 7], 7);
        expect(Array.from(sub(2, a).data)).toEqual(Array.from(a.data, (v) => Math.fround(2 - v)));
        expect(Array.from(div(a, 4).data)).toEqual(Array.from(a.data, (v) => Math.fround(v / 4)));
        const copy = a.clone();
        elementwiseNative.binaryBroadcast(
          'mul',
          a.data,
          [3, 5, 7],
          a.data,
          [3, 5, 7],
          a.data,
          [3, 5, 7],
        );
        expect(Array.from(a.data)).toEqual(Array.from(copy.data, (v) => Math.fround(v * v)));
      });

      test('sum / mean over any axes (keepdim) match the double reference', () => {
        let seed = 100;
        const shapes = [[3, 7, 5, 13], [8, 33, 17, 64], [1, 9, 1, 17], [17], [2, 1, 3], [0, 4]];
        for (const shape of shapes) {
          const x = input(shape, seed++);
          const r = shape.length;
          const axesList: number[][] = [[], Array.from({ length: r }, (_, i) => i), [0], [r - 1]];
          if (r === 4) axesList.push([0, 1, 2], [1, 2], [0, 3], [1, 3], [0, 2]);
          for (const axes of axesList)
            for (const which of ['sum', 'mean'] as const) {
              const got = (which === 'sum' ? sum : mean)(x, axes, true);
              expect(got.shape).toEqual(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
              const count = axes.reduce((p, a) => p * shape[a], 1);
              const want = new Float32Array(got.size).fill(NaN);
              reduceNative.reduceSumReference(
                x.data,
                shape,
                axes,
                which === 'mean' ? 1 / count : 1,
                want,
              );
              // float sums of `count` values in [-1, 1]: error grows ~ count * 2^-24 times
              // the magnitude (blocked sums do better); compared relative to 1 + |sum|.
              const tolerance = 4 * Math.max(count, 1) * 2 ** -24 + 1e-6;
              const e = maxRelativeError(got.data, want);
              if (!(e.error <= tolerance) && !(count === 0 && which === 'mean'))
                throw new Error(
                  `${which} [${shape}] over [${axes}]: error ${e.error} at ${e.index} > ${tolerance}`,
                );
              got.dispose();
            }
          x.dispose();
        }
        const empty = mean(tensor(new Float32Array(0), [0, 3]), 0);
        expect(Number.isNaN(empty.data[0])).toBe(true); // PyTorch: mean of nothing is NaN
        expect(Array.from(sum(tensor(new Float32Array(0), [0, 3]), 0).data)).toEqual([0, 0, 0]);
      });
    });
  }

  test('backward: gradients reduced over the broadcast axes', () => {
    let seed = 300;
    for (const [aShape, bShape] of pairs.slice(0, 11))
      for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOpName[]) {
        const a = input(aShape, seed++),
          b = input(bShape, seed++, op === 'div' ? 2 : 0);
        const outShape = broadcastShapes(op, aShape, bShape);
        const g = input(outShape, seed++);
        const { gradA, gradB } = binaryBackward(op, g, a, b);
        expect([gradA!.shape, gradB!.shape]).toEqual([aShape, bShape]);
        // Reference: per output element, d out / d a and d out / d b in double, scattered.
        const wantA = new Float64Array(a.size),
          wantB = new Float64Array(b.size);
        const index = (shape: number[], flat: number): number => {
          let rest = flat,
            at = 0,
            stride = 1;
          for (let i = outShape.length - 1; i >= 0; i--) {
            const o = rest % outShape[i];
            rest = Math.floor(rest / outShape[i]);
            const k = i - (outShape.length - shape.length);
            if (k >= 0) {
              at += (shape[k] === 1 ? 0 : o) * stride;
              stride *= shape[k];
            }
          }
          return at;
        };
        for (let i = 0; i < g.size; i++) {
          const ia = index(aShape, i),
            ib = index(bShape, i),
            x = a.data[ia],
            y = b.data[ib],
            gi = g.data[i];
          const [da, db] =
            op === 'add'
              ? [1, 1]
              : op === 'sub'
                ? [1, -1]
                : op === 'mul'
                  ? [y, x]
                  : [1 / y, -x / (y * y)];
          wantA[ia] += gi * da;
          wantB[ib] += gi * db;
        }
        const terms = Math.max(1, g.size / Math.min(a.size || 1, b.size || 1));
        const tolerance = 8 * terms * 2 ** -24 + 1e-6;
        for (const [got, want, name] of [
          [gradA!, wantA, 'a'],
          [gradB!, wantB, 'b'],
        ] as const) {
          const e = maxRelativeError(got.data, want);
          if (!(e.error <= tolerance))
            throw new Error(
              `${op} [${aShape}] [${bShape}] grad ${name}: ${e.error} > ${tolerance}`,
            );
        }
        [a, b, g, gradA!, gradB!].forEach((t) => t.dispose());
      }
  });

  test('reduceBackward and expand spread the gradient', () => {
    const g = tensor([1, 2, 3], [3]);
    const spread = reduceBackward(g, [2, 3], 0, true);
    expect(Array.from(spread.data)).toEqual([0.5, 1, 1.5, 0.5, 1, 1.5]);
    expect(Array.from(expandScaled(tensor([1, 2], [2, 1]), [2, 3], 2).data)).toEqual([
      2, 2, 2, 4, 4, 4,
    ]);
    expect(Array.from(sumToShape(tensor([1, 2, 3, 4, 5, 6], [2, 3]), [3]).data)).toEqual([5, 7, 9]);
  });
});

describe('elementwise arguments', () => {
  const a = tensor(new Float32Array(6), [2, 3]);
  test('incompatible shapes, bad axes and bad types throw naming the op and value', () => {
    expect(() => add(a, tensor(new Float32Array(4), [4]))).toThrow(/convkit\.add: .*shape \[4\]/);
    expect(() => add(a, tensor(new Float32Array(4), [4]))).toThrow(RangeError);
    expect(() => mul(2 as unknown as Tensor, 3)).toThrow(TypeError);
    expect(() => sub(a, 'x' as unknown as number)).toThrow(
      /convkit\.sub: expected a Tensor or a number for b but received 'x'/,
    );
    expect(() => sum(a, 2)).toThrow(/convkit\.sum: .*axes/);
    expect(() => mean(a, [0, -2])).toThrow(/distinct/);
    expect(() => sumToShape(a, [4])).toThrow(/convkit\.sumToShape/);
    expect(() =>
      elementwiseNative.binaryBroadcast(
        'pow' as BinaryOpName,
        a.data,
        [2, 3],
        a.data,
        [2, 3],
        a.data,
        [2, 3],
      ),
    ).toThrow(/convkit\.binaryBroadcast: .*'pow'/);
    expect(() =>
      elementwiseNative.binaryBroadcast('add', a.data, [2, 3], a.data, [3, 3], a.data, [2, 3]),
    ).toThrow(/incompatible broadcast shapes/);
    expect(() =>
      elementwiseNative.binaryBroadcast(
        'add',
        a.data,
        [2, 3],
        a.data,
        [2, 3],
        new Float32Array(2),
        [2, 3],
      ),
    ).toThrow(/out holds 2/);
    expect(() => reduceNative.reduceSum(a.data, [2, 3], [2], 1, new Float32Array(6))).toThrow(
      /convkit\.reduceSum: axis 2 is out of range/,
    );
    expect(() => reduceNative.reduceSum(a.data, [2, -3], [0], 1, new Float32Array(6))).toThrow(
      /convkit\.reduceSum: .*shape\[1\]/,
    );
  });
});
