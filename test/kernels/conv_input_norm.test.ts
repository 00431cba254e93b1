// 1x1 convolutions of a batch norm's output without storing it (conv2d's and
// conv2dBackwardWeights' `inputNorm`: chunks of x's rows normalised in cache), against the norm
// applied in JS from its saveAffine followed by the scalar references of the conv, on every ISA
// path: odd channel counts (1, 3, 7, 13, 17), batch 1, non-square images, x wider than the
// conv's input (a DenseNet buffer's prefix), every activation, a bias, the output's batch
// statistics, the chunked weight gradient (2048+ rows: several chunks per thread, a partial last
// one) and the one over a normalised copy (fewer rows, a dW past 256K floats); bad arguments.
import { tensor, Tensor } from '../../lib';
import { batchNorm2dTrainingAffine } from '../../lib/kernels/batchnorm';
import {
  conv2d,
  conv2dBackwardWeights,
  conv2dParams,
  convNative,
  InputNorm,
} from '../../lib/kernels/conv';
import { Generator } from '../../lib/random';
import { describeEachIsa, expectThrows, maxRelativeError, randomArray } from '../helpers';
import { applyNormReference } from './norm_gradient_check';

type Activation = InputNorm['activation'];

interface Case {
  N: number;
  H: number;
  W: number;
  /** The conv's input channels (the norm's) and x's (>= Cin). */
  Cin: number;
  width: number;
  Cout: number;
  activation: Activation;
  bias?: boolean;
}

const cases: Case[] = [
  { N: 1, H: 3, W: 5, Cin: 1, width: 1, Cout: 3, activation: 'relu' },
  { N: 2, H: 7, W: 3, Cin: 3, width: 3, Cout: 17, activation: 'relu6', bias: true },
  { N: 3, H: 5, W: 7, Cin: 7, width: 12, Cout: 13, activation: 'silu' },
  { N: 1, H: 13, W: 11, Cin: 13, width: 13, Cout: 7, activation: 'none' },
  // Chunked weight gradient: 2048+ rows, a dW of at most 256K floats.
  { N: 2, H: 41, W: 37, Cin: 17, width: 40, Cout: 33, activation: 'relu', bias: true },
  { N: 3, H: 29, W: 31, Cin: 144, width: 144, Cout: 24, activation: 'relu6' },
  // A dW past 256K floats: the gradient over a normalised copy.
  { N: 1, H: 9, W: 7, Cin: 600, width: 640, Cout: 512, activation: 'relu6' },
];

/** act(bn(x)) of x's first Cin channels from the norm's saveAffine. */
function normalise(x: Tensor, Cin: number, affine: Float32Array, activation: Activation): Tensor {
  const [N, H, W, width] = x.shape;
  return tensor(applyNormReference(x.data, Cin, affine, activation, width), [N, H, W, Cin]);
}

function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  const e = maxRelativeError(actual, expected);
  if (!(e.error < 1e-4)) throw new Error(`${what}: error ${e.error} at ${e.index}`);
}

function run(c: Case, seed: number): void {
  const g = new Generator(seed);
  const rows = c.N * c.H * c.W;
  const x = tensor(randomArray(rows * c.width, g, 2), [c.N, c.H, c.W, c.width]);
  const w = tensor(randomArray(c.Cout * c.Cin, g), [c.Cout, c.Cin, 1, 1]);
  const bias = c.bias ? tensor(randomArray(c.Cout, g), [c.Cout]) : null;
  const dy = tensor(randomArray(rows * c.Cout, g), [c.N, c.H, c.W, c.Cout]);
  const gamma = tensor(randomArray(c.Cin, g), [c.Cin]);
  const beta = tensor(randomArray(c.Cin, g), [c.Cin]);
  const stats = batchNorm2dTrainingAffine(x, {
    weight: gamma,
    bias: beta,
    activation: c.activation,
    channels: c.Cin,
  });
  const inputNorm = { affine: stats.saveAffine, activation: c.activation };
  const normed = normalise(x, c.Cin, stats.saveAffine.data, c.activation);
  const { params } = conv2dParams(normed.shape, w.shape);
  const what = JSON.stringify(c);
  // Forward (+ bias), with the output's batch statistics.
  const wantY = new Float32Array(rows * c.Cout);
  convNative.conv2dForwardReference(
    params,
    normed.data,
    w.data,
    bias?.data ?? null,
    null,
    0,
    wantY,
  );
  const batchStats = new Float64Array(1 + 2 * c.Cout);
  const y = conv2d(x, w, bias, {}, { inputNorm, batchStats });
  expectClose(`${what} y`, y.data, wantY);
  expect(batchStats[0]).toBe(rows);
  const mean = new Float64Array(c.Cout);
  const m2 = new Float64Array(c.Cout);
  for (let i = 0; i < wantY.length; i++) mean[i % c.Cout] += wantY[i] / rows;
  for (let i = 0; i < wantY.length; i++) m2[i % c.Cout] += (wantY[i] - mean[i % c.Cout]) ** 2;
  expectClose(`${what} batch mean`, batchStats.subarray(1, 1 + c.Cout), mean);
  expectClose(
    `${what} batch m2 / rows`,
    Array.from(batchStats.subarray(1 + c.Cout), (v) => v / rows),
    Array.from(m2, (v) => v / rows),
  );
  // Weight gradient (+ bias gradient).
  const wantDw = new Float32Array(w.size);
  const wantDb = bias ? new Float32Array(c.Cout) : null;
  convNative.conv2dBackwardWeightsReference(params, normed.data, dy.data, wantDw, wantDb);
  const grads = conv2dBackwardWeights(x, dy, w.shape, {}, bias !== null, 'auto', inputNorm);
  expectClose(`${what} dW`, grads.weight.data, wantDw);
  if (wantDb) expectClose(`${what} dbias`, grads.bias!.data, wantDb);
}

describeEachIsa('1x1 conv of a batch norm output, normalised in cache', () => {
  test('forward (+ bias, batch statistics) and weight gradient against the norm then the reference conv', () => {
    cases.forEach((c, i) => run(c, 700 + i));
  });
});

describe('1x1 conv with inputNorm: bad arguments', () => {
  const x = tensor(new Float32Array(2 * 3 * 3 * 4), [2, 3, 3, 4]);
  const affine = tensor(new Float32Array(16), [16]);
  const inputNorm = { affine, activation: 'relu' as const };
  const w = tensor(new Float32Array(20), [5, 4, 1, 1]);
  test('a 3x3 kernel, stride 2, an affine of the wrong size, x too narrow, a residual: RangeError naming the op', () => {
    expectThrows(
      () => conv2d(x, tensor(new Float32Array(180), [5, 4, 3, 3]), null, {}, { inputNorm }),
      'RangeError',
      /conv2d: .*1x1 kernel/,
    );
    expectThrows(
      () => conv2d(x, w, null, { stride: 2 }, { inputNorm }),
      'RangeError',
      /conv2d: .*1x1 stride-1 unpadded/,
    );
    expectThrows(
      () =>
        conv2d(
          x,
          w,
          null,
          {},
          { inputNorm: { ...inputNorm, affine: tensor(new Float32Array(12), [12]) } },
        ),
      'RangeError',
      /conv2d: .*16 values \(4 x Cin\) for inputNorm\.affine/,
    );
    expectThrows(
      () =>
        conv2dBackwardWeights(
          tensor(new Float32Array(2 * 3 * 3 * 3), [2, 3, 3, 3]),
          tensor(new Float32Array(2 * 3 * 3 * 5), [2, 3, 3, 5]),
          w.shape,
          {},
          false,
          'auto',
          inputNorm,
        ),
      'RangeError',
      /conv2dBackwardWeights: .*at least 4 channels/,
    );
    expectThrows(
      () =>
        conv2d(x, w, null, {}, { inputNorm, residual: tensor(new Float32Array(90), [2, 3, 3, 5]) }),
      'RangeError',
      /conv2d: .*no residual or activation with inputNorm/,
    );
  });
  test('the binding refuses a 3x3 kernel, ldx < Cin, and the reference with an input norm', () => {
    const p3 = [2, 3, 3, 4, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const p1 = [2, 3, 3, 4, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1];
    const y = new Float32Array(90);
    const call =
      (params: number[], ldx: number, reference = false) =>
      () =>
        (reference ? convNative.conv2dForwardReference : convNative.conv2dForward)(
          params,
          x.data,
          new Float32Array(180),
          null,
          null,
          0,
          y,
          0,
          null,
          affine.data,
          1,
          ldx,
        );
    expect(call(p3, 4)).toThrow(/conv2dForward: an input norm needs a 1x1 stride-1/);
    expect(call(p1, 3)).toThrow(/conv2dForward: ldx must be >= Cin \(4\), got 3/);
    expect(call(p1, 4, true)).toThrow(/conv2dForwardReference: the reference takes no/);
  });
});
