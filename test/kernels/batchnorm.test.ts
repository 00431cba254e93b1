// BatchNorm2d (NHWC) vs the double-precision reference on every ISA path: odd channel counts
// and spatial sizes, affine or not, fused ReLU / ReLU6, running-stat updates, eval, data with
// a large mean, and bad arguments.
import { tensor, zeros } from '../../lib';
import {
  batchNorm2dBackward,
  batchNorm2dForwardEval,
  batchNorm2dForwardTraining,
  batchNormNative,
} from '../../lib/kernels/batchnorm';
import { Generator } from '../../lib/random';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

const channels = [1, 3, 7, 13, 17, 64];
const spatial: Array<[number, number, number]> = [
  [1, 1, 2],
  [3, 1, 1],
  [1, 5, 3],
  [3, 7, 9],
  [1, 33, 2],
  [3, 4, 33],
];
const activations = ['none', 'relu', 'relu6', 'silu'];

function expectClose(what: string, got: Float32Array, want: Float32Array, tolerance: number): void {
  const { error, index } = maxRelativeError(got, want);
  if (!(error <= tolerance))
    throw new Error(
      `${what}: error ${error} at ${index} (${got[index]} vs ${want[index]}) > ${tolerance}`,
    );
}

/** Bit-equal arrays (a loop: jest's toEqual on long arrays takes seconds). */
function expectSame(what: string, got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++)
    if (got[i] !== want[i]) throw new Error(`${what}: [${i}] ${got[i]} !== ${want[i]}`);
}

interface Case {
  rows: number;
  C: number;
  affine: boolean;
  activation: string;
  mean: number;
  spread: number;
}

function runCase(c: Case, seed: number): void {
  const g = new Generator(seed);
  const { rows, C } = c;
  const x = randomArray(rows * C, g, c.spread).map((v) => v + c.mean);
  const dy = randomArray(rows * C, g);
  const gamma = c.affine ? randomArray(C, g, 2) : null;
  const beta = c.affine ? randomArray(C, g, 3) : null;
  const rm0 = randomArray(C, g);
  const rv0 = randomArray(C, g).map((v) => 1 + v * 0.5);
  const out = () => ({
    y: new Float32Array(rows * C),
    mean: new Float32Array(C),
    invstd: new Float32Array(C),
    rm: rm0.slice(),
    rv: rv0.slice(),
    affine: new Float32Array(4 * C),
  });
  const got = out();
  const want = out();
  batchNormNative.batchNormForwardTraining(
    rows,
    C,
    x,
    gamma,
    beta,
    got.rm,
    got.rv,
    0.1,
    1e-5,
    c.activation,
    got.y,
    got.mean,
    got.invstd,
    got.affine,
  );
  batchNormNative.batchNormForwardTrainingReference(
    rows,
    C,
    x,
    gamma,
    beta,
    want.rm,
    want.rv,
    0.1,
    1e-5,
    c.activation,
    want.y,
    want.mean,
    want.invstd,
  );
  const label = JSON.stringify(c);
  // Statistics are merged in double from float block partials shifted by the mean so far:
  // the result is within a few float roundings of the double reference whatever the mean, so
  // 1e-6 relative for mean / invstd / running stats, and normalized outputs (|y| ~ 10) to 1e-5.
  expectClose(`${label} mean`, got.mean, want.mean, 1e-6);
  expectClose(`${label} invstd`, got.invstd, want.invstd, 2e-6);
  expectClose(`${label} runningMean`, got.rm, want.rm, 1e-6);
  expectClose(`${label} runningVar`, got.rv, want.rv, 2e-6);
  expectClose(`${label} y`, got.y, want.y, 1e-5);

  // Backward from the same saved statistics (the reference's, so both see identical inputs).
  for (const training of [true, false]) {
    const gb = { dx: new Float32Array(rows * C), dg: new Float32Array(C), db: new Float32Array(C) };
    const wb = { dx: new Float32Array(rows * C), dg: new Float32Array(C), db: new Float32Array(C) };
    // ReLU / ReLU6 through y here (the affine form is checked against it bit for bit below);
    // silu only has the affine form (the reference takes beta from it).
    const y = c.activation === 'none' || c.activation === 'silu' ? null : want.y;
    const affine = c.activation === 'silu' ? got.affine : null;
    batchNormNative.batchNormBackward(
      rows,
      C,
      x,
      dy,
      y,
      gamma,
      want.mean,
      want.invstd,
      training,
      c.activation,
      gb.dx,
      gb.dg,
      gb.db,
      affine,
    );
    batchNormNative.batchNormBackwardReference(
      rows,
      C,
      x,
      dy,
      y,
      gamma,
      want.mean,
      want.invstd,
      training,
      c.activation,
      wb.dx,
      wb.dg,
      wb.db,
      affine,
    );
    // dgamma / dbeta: sums of `rows` terms of size ~|xhat| <= sqrt(rows), accumulated in float
    // over blocks of <= 1024 rows then in double: error <= 1024 * 2^-24 * sum|terms|.
    const sumTolerance = 1024 * 2 ** -24 * rows * Math.sqrt(rows) + 1e-6;
    expectClose(`${label} training=${training} dbeta`, gb.db, wb.db, sumTolerance);
    expectClose(`${label} training=${training} dgamma`, gb.dg, wb.dg, sumTolerance);
    // dx = a g + b (x - mean) + d: the sums above enter divided by rows, scaled by gamma*invstd.
    expectClose(
      `${label} training=${training} dx`,
      gb.dx,
      wb.dx,
      2e-5 * (1 + Math.abs(c.mean) / (c.spread * 1e4)),
    );
  }
}

describeEachIsa('batchNorm2d', () => {
  test('training forward and backward match the reference', () => {
    let seed = 1;
    for (const C of channels)
      for (const [N, H, W] of spatial)
        for (const activation of activations) {
          const affine = seed % 2 === 0;
          runCase({ rows: N * H * W, C, affine, activation, mean: 0, spread: 1 }, seed++);
        }
  });

  test('large mean, unit spread (1e4 +- 1) keeps full accuracy', () => {
    for (const C of [3, 17, 64])
      runCase({ rows: 3 * 33 * 7, C, affine: true, activation: 'none', mean: 1e4, spread: 1 }, C);
    runCase({ rows: 70000, C: 3, affine: true, activation: 'relu', mean: 1e4, spread: 1 }, 5); // many blocks, 2 threads
  });

  test('large shapes split over threads', () => {
    runCase(
      { rows: 8 * 14 * 14, C: 256, affine: true, activation: 'relu', mean: 0.5, spread: 2 },
      11,
    );
  });

  test('outputs of 8 MiB and more (streaming stores), several float-sum blocks', () => {
    // 8200 rows x 256 channels: y / dx written with non-temporal stores; 9 blocks of float
    // sums shifted by the running mean, with a large mean.
    runCase({ rows: 8200, C: 256, affine: true, activation: 'none', mean: 1e4, spread: 1 }, 12);
  });

  test("the backward with the forward's saveAffine (mask recomputed from x) equals the one reading y, bit for bit", () => {
    const g = new Generator(21);
    // Channel tails on every lane width, one and several tiles / threads, streaming sizes.
    const shapes: Array<[number, number]> = [
      [6, 1],
      [35, 7],
      [99, 17],
      [400, 33],
      [1500, 64],
      [8200, 256],
    ];
    for (const [rows, C] of shapes)
      for (const activation of ['relu', 'relu6']) {
        // Values spread over [-4, 8] so that both sides of 0 and of 6 occur.
        const x = randomArray(rows * C, g, 3).map((v) => 2 + 2 * v);
        const dy = randomArray(rows * C, g);
        const gamma = randomArray(C, g).map((v) => 1 + v);
        const beta = randomArray(C, g);
        const y = new Float32Array(rows * C),
          mean = new Float32Array(C),
          invstd = new Float32Array(C),
          affine = new Float32Array(4 * C).fill(NaN);
        batchNormNative.batchNormForwardTraining(
          rows,
          C,
          x,
          gamma,
          beta,
          null,
          null,
          0.1,
          1e-5,
          activation,
          y,
          mean,
          invstd,
          affine,
        );
        expect(affine.every((v) => Number.isFinite(v))).toBe(true);
        const viaY = new Float32Array(rows * C),
          viaAffine = new Float32Array(rows * C);
        const dgY = new Float32Array(C),
          dbY = new Float32Array(C);
        const dgA = new Float32Array(C),
          dbA = new Float32Array(C);
        batchNormNative.batchNormBackward(
          rows,
          C,
          x,
          dy,
          y,
          gamma,
          mean,
          invstd,
          true,
          activation,
          viaY,
          dgY,
          dbY,
        );
        batchNormNative.batchNormBackward(
          rows,
          C,
          x,
          dy,
          null,
          gamma,
          mean,
          invstd,
          true,
          activation,
          viaAffine,
          dgA,
          dbA,
          affine,
        );
        const label = `rows=${rows} C=${C} ${activation}`;
        expect({ label, same: viaAffine.every((v, i) => Object.is(v, viaY[i])) }).toEqual({
          label,
          same: true,
        });
        expect(Array.from(dgA)).toEqual(Array.from(dgY));
        expect(Array.from(dbA)).toEqual(Array.from(dbY));
      }
  });

  test('a residual is added before the activation (training and eval) as in the reference', () => {
    const g = new Generator(31);
    for (const C of [1, 7, 17, 64])
      for (const activation of ['none', 'relu', 'relu6']) {
        const rows = 3 * 5 * 7;
        const x = randomArray(rows * C, g, 3);
        const residual = randomArray(rows * C, g, 2);
        const gamma = randomArray(C, g),
          beta = randomArray(C, g);
        const rm = randomArray(C, g),
          rv = randomArray(C, g).map((v) => 1.5 + v);
        const run = (reference: boolean) => {
          const y = new Float32Array(rows * C).fill(NaN),
            mean = new Float32Array(C),
            invstd = new Float32Array(C),
            yEval = new Float32Array(rows * C).fill(NaN);
          const n = batchNormNative;
          const train = reference
            ? n.batchNormForwardTrainingReference
            : n.batchNormForwardTraining;
          const evaluate = reference ? n.batchNormForwardEvalReference : n.batchNormForwardEval;
          train(
            rows,
            C,
            x,
            gamma,
            beta,
            null,
            null,
            0.1,
            1e-5,
            activation,
            y,
            mean,
            invstd,
            null,
            residual,
          );
          evaluate(rows, C, x, gamma, beta, rm, rv, 1e-5, activation, yEval, null, residual);
          return { y, yEval };
        };
        const got = run(false),
          want = run(true);
        expectClose(`residual C=${C} ${activation}`, got.y, want.y, 1e-5);
        expectClose(`residual eval C=${C} ${activation}`, got.yEval, want.yEval, 1e-5);
      }
  });

  test("`channels` normalises a wider tensor's first channels in place, and the backward adds into `accumulateInto`, as the contiguous slice would", () => {
    const g = new Generator(31);
    // [N, H, W, wide] with `C` channels used: channel tails on every lane width, one and
    // several threads, every activation.
    const cases: Array<[number, number, number]> = [
      [2 * 3 * 5, 7, 3],
      [5 * 3, 40, 17],
      [2 * 7 * 9, 64, 33],
      [3 * 14 * 14, 96, 64],
    ]; // [rows, wide, C]
    for (const [rows, wide, C] of cases)
      for (const activation of activations) {
        const shape = [1, rows, 1, wide];
        const x = tensor(randomArray(rows * wide, g, 2), shape);
        const slice = zeros([1, rows, 1, C]);
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < C; c++) slice.data[r * C + c] = x.data[r * wide + c];
        const weight = tensor(randomArray(C, g, 2));
        const bias = tensor(randomArray(C, g));
        const params = { weight, bias, activation: activation as 'relu' };
        const rm = () => ({
          runningMean: zeros([C]),
          runningVar: tensor(new Float32Array(C).fill(1)),
        });
        const wantStats = rm();
        const gotStats = rm();
        const want = batchNorm2dForwardTraining(slice, { ...params, ...wantStats });
        const got = batchNorm2dForwardTraining(x, { ...params, ...gotStats, channels: C });
        const what = `${activation} ${rows}x${wide}/${C}`;
        expect(got.y.shape).toEqual([1, rows, 1, C]);
        expectSame(`${what} y`, got.y.data, want.y.data);
        expectSame(`${what} running var`, gotStats.runningVar.data, wantStats.runningVar.data);
        const evalOptions = { ...params, ...wantStats };
        expectSame(
          `${what} eval y`,
          batchNorm2dForwardEval(x, { ...evalOptions, channels: C }).data,
          batchNorm2dForwardEval(slice, evalOptions).data,
        );
        const dy = tensor(randomArray(rows * C, g), [1, rows, 1, C]);
        const backward = {
          weight,
          mean: want.saveMean,
          invstd: want.saveInvstd,
          activation: params.activation,
          y: want.y,
          affine: want.saveAffine,
        };
        const wantGrads = batchNorm2dBackward(slice, dy, backward);
        // Into a gradient that already holds something: every channel keeps it, the first C add.
        const into = tensor(randomArray(rows * wide, g), shape);
        const before = into.data.slice();
        const gotGrads = batchNorm2dBackward(x, dy, {
          ...backward,
          channels: C,
          accumulateInto: into,
        });
        expect(gotGrads.dx).toBe(into);
        const added = before.map((v, i) =>
          i % wide < C ? v + wantGrads.dx.data[Math.floor(i / wide) * C + (i % wide)] : v,
        );
        expectSame(`${what} dx added`, into.data, added);
        expectSame(`${what} dweight`, gotGrads.dweight!.data, wantGrads.dweight!.data);
        // Without accumulateInto: a new x-shaped gradient, zero past the first C channels.
        const fresh = batchNorm2dBackward(x, dy, { ...backward, channels: C }).dx;
        expect(fresh.shape).toEqual(shape);
        const padded = before.map((_, i) =>
          i % wide < C ? wantGrads.dx.data[Math.floor(i / wide) * C + (i % wide)] : 0,
        );
        expectSame(`${what} dx`, fresh.data, padded);
      }
  });

  test('eval forward uses the running statistics', () => {
    const g = new Generator(3);
    for (const C of channels)
      for (const activation of activations) {
        const rows = 3 * 5 * 7;
        const x = randomArray(rows * C, g, 3);
        const rm = randomArray(C, g),
          rv = randomArray(C, g).map((v) => 1.5 + v);
        const gamma = randomArray(C, g),
          beta = randomArray(C, g);
        const got = new Float32Array(rows * C),
          want = new Float32Array(rows * C);
        batchNormNative.batchNormForwardEval(
          rows,
          C,
          x,
          gamma,
          beta,
          rm,
          rv,
          1e-3,
          activation,
          got,
        );
        batchNormNative.batchNormForwardEvalReference(
          rows,
          C,
          x,
          gamma,
          beta,
          rm,
          rv,
          1e-3,
          activation,
          want,
        );
        expectClose(`eval C=${C} ${activation}`, got, want, 2e-6);
      }
  });

  test('PyTorch semantics on a hand-checked case (TS API)', () => {
    // x: one channel, values 1, 2, 3, 6 (mean 3, biased var 3.5, unbiased 14/3).
    const x = tensor([1, 2, 3, 6], [1, 2, 2, 1]);
    const runningMean = tensor([0]),
      runningVar = tensor([1]);
    const { y, saveMean, saveInvstd } = batchNorm2dForwardTraining(x, {
      runningMean,
      runningVar,
      momentum: 0.1,
      eps: 0,
    });
    expect(saveMean.data[0]).toBeCloseTo(3, 6);
    expect(saveInvstd.data[0]).toBeCloseTo(1 / Math.sqrt(3.5), 6);
    expect(y.data[3]).toBeCloseTo(3 / Math.sqrt(3.5), 6);
    expect(runningMean.data[0]).toBeCloseTo(0.3, 6);
    expect(runningVar.data[0]).toBeCloseTo(0.9 + 0.1 * (14 / 3), 6);
    // momentum=null: cumulative average with factor 1/numBatchesTracked.
    const rm = tensor([10]),
      rv = tensor([10]);
    batchNorm2dForwardTraining(x, {
      runningMean: rm,
      runningVar: rv,
      momentum: null,
      numBatchesTracked: 2,
    });
    expect(rm.data[0]).toBeCloseTo(6.5, 5);
    const yEval = batchNorm2dForwardEval(x, {
      runningMean,
      runningVar,
      weight: tensor([2]),
      bias: tensor([1]),
    });
    expect(yEval.data[0]).toBeCloseTo(
      ((1 - 0.3) / Math.sqrt(runningVar.data[0] + 1e-5)) * 2 + 1,
      5,
    );
    // Backward: dy = 1 everywhere gives dx = 0 and dbeta = 4, dgamma = sum(xhat) = 0.
    const grads = batchNorm2dBackward(x, tensor([1, 1, 1, 1], [1, 2, 2, 1]), {
      mean: saveMean,
      invstd: saveInvstd,
    });
    for (const v of grads.dx.data) expect(Math.abs(v)).toBeLessThan(1e-6);
    expect(grads.dbias!.data[0]).toBeCloseTo(4, 6);
    expect(grads.dweight!.data[0]).toBeCloseTo(0, 6);
  });
});

describe('batchNorm2d rejects bad arguments without crashing', () => {
  const x = zeros([2, 3, 3, 4]);
  const c4 = zeros([4]);
  // The native training forward on x (18 rows of 4) with a row stride `ldx`.
  const stridedTraining = (ldx: number, reference = false) =>
    (reference
      ? batchNormNative.batchNormForwardTrainingReference
      : batchNormNative.batchNormForwardTraining)(
      18,
      4,
      x.data,
      null,
      null,
      null,
      null,
      0.1,
      1e-5,
      'none',
      new Float32Array(72),
      c4.data,
      c4.data,
      null,
      null,
      ldx,
    );
  test.each([
    ['rank', () => batchNorm2dForwardTraining(zeros([2, 4])), RangeError, /4-D NHWC/],
    [
      'gamma channels',
      () => batchNorm2dForwardTraining(x, { weight: zeros([3]) }),
      RangeError,
      /weight/,
    ],
    [
      'running var channels',
      () => batchNorm2dForwardTraining(x, { runningVar: zeros([5]) }),
      RangeError,
      /runningVar/,
    ],
    ['negative eps', () => batchNorm2dForwardTraining(x, { eps: -1 }), RangeError, /eps/],
    [
      'momentum > 1',
      () => batchNorm2dForwardTraining(x, { momentum: 1.5 }),
      RangeError,
      /momentum/,
    ],
    [
      'momentum null without count',
      () => batchNorm2dForwardTraining(x, { momentum: null }),
      RangeError,
      /numBatchesTracked/,
    ],
    [
      'unknown activation',
      () => batchNorm2dForwardTraining(x, { activation: 'gelu' as 'relu' }),
      RangeError,
      /gelu/,
    ],
    [
      'one value per channel',
      () => batchNorm2dForwardTraining(zeros([1, 1, 1, 4])),
      RangeError,
      /more than 1 value per channel/,
    ],
    [
      'eval without running stats',
      () => batchNorm2dForwardEval(x, { runningMean: c4 } as never),
      TypeError,
      /runningVar/,
    ],
    [
      'fused backward without y',
      () => batchNorm2dBackward(x, x, { mean: c4, invstd: c4, activation: 'relu' }),
      TypeError,
      /y/,
    ],
    [
      'fused backward with an affine of the wrong length',
      () =>
        batchNorm2dBackward(x, x, {
          mean: c4,
          invstd: c4,
          activation: 'relu',
          affine: zeros([4]),
        }),
      RangeError,
      /affine/,
    ],
    [
      'residual with silu',
      () => batchNorm2dForwardTraining(x, { activation: 'silu', residual: x }),
      RangeError,
      /residual/,
    ],
    [
      'residual shape',
      () => batchNorm2dForwardTraining(x, { residual: zeros([2, 3, 3, 3]) }),
      RangeError,
      /residual/,
    ],
    [
      'native fused backward with neither y nor affine',
      () =>
        batchNormNative.batchNormBackward(
          x.size / 4,
          4,
          x.data,
          x.data,
          null,
          null,
          c4.data,
          c4.data,
          true,
          'relu6',
          new Float32Array(x.size),
          null,
          null,
          null,
        ),
      TypeError,
      /saveAffine/,
    ],
    [
      'dy shape',
      () => batchNorm2dBackward(x, zeros([2, 3, 3, 3]), { mean: c4, invstd: c4 }),
      RangeError,
      /dy/,
    ],
    ['channels 0', () => batchNorm2dForwardTraining(x, { channels: 0 }), RangeError, /channels/],
    ['channels > C', () => batchNorm2dForwardTraining(x, { channels: 5 }), RangeError, /channels/],
    [
      'channels vs parameters',
      () => batchNorm2dForwardTraining(x, { channels: 3, weight: c4 }),
      RangeError,
      /weight/,
    ],
    [
      'accumulateInto shape',
      () =>
        batchNorm2dBackward(x, zeros([2, 3, 3, 2]), {
          mean: zeros([2]),
          invstd: zeros([2]),
          channels: 2,
          accumulateInto: zeros([2, 3, 3, 2]),
        }),
      RangeError,
      /accumulateInto/,
    ],
    ['native ldx < C', () => stridedTraining(3), RangeError, /ldx must be >= C/],
    [
      'native x shorter than rows * ldx',
      () => stridedTraining(5),
      RangeError,
      /x holds 72 elements but the shape needs 90/,
    ],
    ['reference with ldx', () => stridedTraining(5, true), RangeError, /contiguous/],
    [
      'native one value',
      () =>
        batchNormNative.batchNormForwardTraining(
          1,
          4,
          c4.data,
          null,
          null,
          null,
          null,
          0.1,
          1e-5,
          'none',
          c4.data,
          c4.data,
          c4.data,
        ),
      RangeError,
      /more than 1 value/,
    ],
    [
      'native momentum',
      () =>
        batchNormNative.batchNormForwardTraining(
          1,
          4,
          c4.data,
          null,
          null,
          null,
          null,
          -0.1,
          1e-5,
          'none',
          c4.data,
          c4.data,
          c4.data,
        ),
      RangeError,
      /momentum/,
    ],
    [
      'native short gamma',
      () =>
        batchNormNative.batchNormForwardEval(
          2,
          2,
          c4.data,
          new Float32Array(1),
          null,
          c4.data,
          c4.data,
          1e-5,
          'none',
          c4.data,
        ),
      RangeError,
      /gamma holds 1/,
    ],
    [
      'native activation',
      () =>
        batchNormNative.batchNormForwardEval(
          2,
          2,
          c4.data,
          null,
          null,
          c4.data,
          c4.data,
          1e-5,
          'tanh',
          c4.data,
        ),
      RangeError,
      /tanh/,
    ],
    [
      'native negative eps',
      () =>
        batchNormNative.batchNormForwardEval(
          2,
          2,
          c4.data,
          null,
          null,
          c4.data,
          c4.data,
          -1,
          'none',
          c4.data,
        ),
      RangeError,
      /eps/,
    ],
  ] as Array<[string, () => void, ErrorConstructor, RegExp]>)(
    '%s',
    (_name, call, type, message) => {
      expect(call).toThrow(message);
      // Native errors come from the addon's realm, not jest's: compare the constructor by name.
      try {
        call();
      } catch (error) {
        expect((error as Error).name).toBe(type.name);
        expect((error as Error).message).toMatch(/convkit\.batchNorm/);
      }
    },
  );
  test('still healthy', () => {
    const { y } = batchNorm2dForwardTraining(tensor([1, 3], [2, 1, 1, 1]), { eps: 0 });
    expect(Array.from(y.data)).toEqual([-1, 1]);
  });
});
