// Batch statistics summed by the convolution that produces a batch norm's input (conv2d's and
// depthwiseConv2d's `batchStats`, batchNorm2dForwardTraining's `batchStats`), on every ISA
// path: the counts, means and squared deviations equal the batch norm's own (float rounding
// apart), 1x1 outputs of several chunks per thread, the other paths' separate pass, odd channel
// counts, batch 1; batchStatistics (a tensor's statistics alone) likewise; a batch norm given
// them gives the same output and running statistics; bad statistics are refused.
import { tensor, zeros } from '../../lib';
import {
  batchNorm2dForwardTraining,
  batchStatistics,
  type BatchNormTrainingOptions,
} from '../../lib/kernels/batchnorm';
import { conv2d, type Conv2dOptions } from '../../lib/kernels/conv';
import { depthwiseConv2d } from '../../lib/kernels/depthwise';
import { Generator } from '../../lib/random';
import { describeEachIsa, expectThrows, maxRelativeError, randomArray } from '../helpers';

const input = (shape: number[], seed: number, offset = 0) =>
  tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      new Generator(seed),
    ).map((v) => v + offset),
    shape,
  );

/** Batch norm of y with its own statistics and with `stats`: outputs and running stats agree. */
function expectSameNorm(what: string, y: ReturnType<typeof zeros>, stats: Float64Array): void {
  const C = y.shape[3];
  const rows = y.size / C;
  expect(stats[0]).toBe(rows);
  const run = (given: Float64Array | null) => {
    const options: BatchNormTrainingOptions = {
      runningMean: zeros([C]),
      runningVar: zeros([C]),
      activation: 'relu6',
      batchStats: given,
    };
    const out = batchNorm2dForwardTraining(y, options);
    return [out.y, out.saveMean, out.saveInvstd, options.runningMean!, options.runningVar!];
  };
  const own = run(null);
  const given = run(stats);
  own.forEach((t, i) => {
    const e = maxRelativeError(given[i].data, t.data);
    if (!(e.error < 1e-5)) throw new Error(`${what}: tensor ${i} differs by ${e.error}`);
  });
}

describeEachIsa('batch statistics summed by convolutions', () => {
  const cases: Array<[string, number[], number[], Conv2dOptions]> = [
    // [what, x shape, weight shape, options]: 1x1 in chunks of ~64K floats per thread
    ['1x1 144 channels, 10 chunks', [2, 40, 40, 24], [144, 24, 1, 1], {}],
    ['1x1 13 channels, batch 1', [1, 9, 7, 17], [13, 17, 1, 1], {}],
    ['1x1 1 channel', [3, 5, 5, 7], [1, 7, 1, 1], {}],
    // Stems (up to 4 input channels): the direct kernel sums blocks of ~64K floats of rows
    // where the ISA has it (AVX2, AVX-512), else summed after.
    [
      'stem 3x3/2 32 channels, 4 blocks of rows',
      [2, 160, 100, 3],
      [32, 3, 3, 3],
      { stride: 2, padding: 1 },
    ],
    ['stem 7x7/2 64 channels', [1, 64, 62, 3], [64, 3, 7, 7], { stride: 2, padding: 3 }],
    ['stem 3x3 17 channels, 1 input channel', [2, 11, 9, 1], [17, 1, 3, 3], { padding: 1 }],
    ['3x3 (summed after)', [2, 11, 9, 5], [17, 5, 3, 3], { padding: 1 }],
    ['1x1 stride 2 (summed after)', [2, 9, 9, 13], [7, 13, 1, 1], { stride: 2 }],
    ['grouped 1x1 (summed after)', [2, 6, 5, 8], [8, 4, 1, 1], { groups: 2 }],
  ];
  for (const [what, xShape, wShape, options] of cases)
    test(`conv2d: ${what}`, () => {
      // An offset of 30 makes float sums of squares around 0 lose digits: the statistics must
      // be summed around a shift, as the batch norm's own are.
      const x = input(xShape, 1, 3);
      const w = input(wShape, 2);
      const stats = new Float64Array(1 + 2 * wShape[0]);
      const y = conv2d(x, w, null, options, { batchStats: stats });
      expect(maxRelativeError(y.data, conv2d(x, w, null, options).data).error).toBe(0);
      expectSameNorm(what, y, stats);
    });
  for (const [C, k, stride] of [
    [144, 3, 1],
    [7, 5, 2],
    [17, 3, 1],
  ])
    test(`depthwiseConv2d: ${C} channels ${k}x${k} stride ${stride}`, () => {
      const x = input([2, 23, 19, C], 3, 2);
      const w = input([C, 1, k, k], 4);
      const options = { stride, padding: (k - 1) / 2 };
      const stats = new Float64Array(1 + 2 * C);
      const y = depthwiseConv2d(x, w, null, { ...options, batchStats: stats });
      expect(maxRelativeError(y.data, depthwiseConv2d(x, w, null, options).data).error).toBe(0);
      expectSameNorm(`depthwise ${C}`, y, stats);
    });
  for (const shape of [
    [2, 40, 40, 32], // two threads, several blocks of rows each
    [1, 9, 7, 17],
    [3, 5, 5, 1],
  ])
    test(`batchStatistics of [${shape}]`, () => {
      const x = input(shape, 5, 30);
      const stats = batchStatistics(x);
      expectSameNorm(`batchStatistics [${shape}]`, x, stats);
      // Against a plain two-pass sum in double.
      const C = shape[3];
      const rows = x.size / C;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let r = 0; r < rows; r++) sum += x.data[r * C + c];
        const mean = sum / rows;
        let m2 = 0;
        for (let r = 0; r < rows; r++) m2 += (x.data[r * C + c] - mean) ** 2;
        expect(Math.abs(stats[1 + c] - mean)).toBeLessThan(1e-5 * Math.abs(mean));
        expect(Math.abs(stats[1 + C + c] - m2)).toBeLessThan(1e-4 * m2);
      }
    });
});

describe('batch statistics: bad arguments', () => {
  const y = zeros([2, 3, 3, 4]);
  test('a batch norm refuses statistics of another size, type or row count', () => {
    expectThrows(
      () => batchNorm2dForwardTraining(y, { batchStats: new Float64Array(8) }),
      'RangeError',
      /length 1 \+ 2 \* 4 = 9 for batchStats/,
    );
    expectThrows(
      () =>
        batchNorm2dForwardTraining(y, {
          batchStats: new Float32Array(9) as unknown as Float64Array,
        }),
      'TypeError',
      /Float64Array for batchStats/,
    );
    const wrongRows = new Float64Array(9);
    wrongRows[0] = 17;
    expectThrows(
      () => batchNorm2dForwardTraining(y, { batchStats: wrongRows }),
      'RangeError',
      /statistics of 18 rows/,
    );
  });
  test('a convolution refuses a statistics array of the wrong length', () => {
    expectThrows(
      () => conv2d(y, zeros([5, 4, 1, 1]), null, {}, { batchStats: new Float64Array(9) }),
      'RangeError',
      /= 11 for batchStats/,
    );
  });
});
