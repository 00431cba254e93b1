// Depthwise convolution reading its input through a batch norm (`inputNorm`: the input rows
// normalised a few at a time in cache) against the scalar reference run on the normalised
// input made in JS, forward (+ batch statistics) and backward-weights, and its data gradient
// with the norm's first backward pass inside (`normGradient`), on every ISA path:
// odd channel counts, batch 1, non-square images, strides 1 and 2, asymmetric padding,
// dilation, images tall enough for several row runs per thread, the whole-input fallback
// (padding as wide as the kernel, channel multiplier 2), every activation; then bad arguments.
import { runtime, tensor, Tensor } from '../../lib';
import { batchNorm2dTrainingAffine } from '../../lib/kernels/batchnorm';
import {
  depthwiseConv2d,
  depthwiseConv2dBackwardData,
  depthwiseConv2dBackwardWeights,
  depthwiseNative,
} from '../../lib/kernels/depthwise';
import { Generator } from '../../lib/random';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';
import { applyNormReference, expectNormGradient } from './norm_gradient_check';

type Activation = 'none' | 'relu' | 'relu6' | 'silu';

interface Case {
  N: number;
  H: number;
  W: number;
  C: number;
  m: number;
  K: [number, number];
  stride: [number, number];
  pad: [number, number, number, number];
  dilation: [number, number];
  activation: Activation;
}

function run(c: Case, seed: number): void {
  const g = new Generator(seed);
  const Cout = c.C * c.m;
  const [KH, KW] = c.K;
  const [, OH, OW] = resolveShapes(c).outShape;
  const geometry = [
    c.N, c.H, c.W, c.C, c.m, KH, KW, c.stride[0], c.stride[1],
    c.pad[0], c.pad[1], c.pad[2], c.pad[3], c.dilation[0], c.dilation[1],
  ] as const; // prettier-ignore
  const x = randomArray(c.N * c.H * c.W * c.C, g, 2);
  const affine = new Float32Array(4 * c.C);
  for (let i = 0; i < c.C; i++) {
    affine[i] = g.uniform() - 0.5; // meanHi
    affine[c.C + i] = (g.uniform() - 0.5) * 1e-7; // meanLo
    affine[2 * c.C + i] = 0.5 + g.uniform(); // scale
    affine[3 * c.C + i] = g.uniform() - 0.5; // shift
  }
  const code = { none: 0, relu: 1, relu6: 2, silu: 3 }[c.activation];
  const w = randomArray(Cout * KH * KW, g);
  const dy = randomArray(c.N * OH * OW * Cout, g);
  const normed = applyNormReference(x, c.C, affine, c.activation);
  const ySize = c.N * OH * OW * Cout;
  const y = new Float32Array(ySize).fill(NaN);
  const yRef = new Float32Array(ySize).fill(NaN);
  const stats = new Float64Array(1 + 2 * Cout);
  depthwiseNative.depthwiseConv2d(...geometry, x, w, null, 0, y, stats, affine, code);
  depthwiseNative.depthwiseConv2dReference(...geometry, normed, w, null, 0, yRef);
  const dw = new Float32Array(w.length).fill(NaN);
  const dwRef = new Float32Array(w.length).fill(NaN);
  const db = new Float32Array(Cout).fill(NaN);
  const dbRef = new Float32Array(Cout).fill(NaN);
  depthwiseNative.depthwiseConv2dBackwardWeights(...geometry, x, dy, dw, db, affine, code);
  depthwiseNative.depthwiseConv2dBackwardWeightsReference(...geometry, normed, dy, dwRef, dbRef);
  // Batch statistics of yRef in double.
  const count = c.N * OH * OW;
  const mean = new Float64Array(Cout);
  const m2 = new Float64Array(Cout);
  for (let i = 0; i < ySize; i++) mean[i % Cout] += yRef[i] / count;
  for (let i = 0; i < ySize; i++) m2[i % Cout] += (yRef[i] - mean[i % Cout]) ** 2;
  // float32 sums of n products of values up to ~6 (the reference sums in double).
  const tol = (n: number): number => 16 * Math.max(n, 1) * 2 ** -24 + 1e-5;
  const checks: Array<[string, { error: number; index: number }, number]> = [
    ['forward', maxRelativeError(y, yRef), tol(KH * KW)],
    ['backwardWeights', maxRelativeError(dw, dwRef), tol(count)],
    ['backwardBias', maxRelativeError(db, dbRef), tol(count)],
    ['stats count', maxRelativeError([stats[0]], [count]), 0],
    ['stats mean', maxRelativeError(stats.subarray(1, 1 + Cout), mean), tol(count)],
    ['stats m2', maxRelativeError(stats.subarray(1 + Cout), m2), 1e-4],
  ];
  for (const [pass, r, tolerance] of checks)
    if (!(r.error <= tolerance))
      throw new Error(
        `${pass} ${JSON.stringify(c)}: error ${r.error} at ${r.index} > ${tolerance}`,
      );
}

const base: Case = {
  N: 2,
  H: 9,
  W: 7,
  C: 13,
  m: 1,
  K: [3, 3],
  stride: [1, 1],
  pad: [1, 1, 1, 1],
  dilation: [1, 1],
  activation: 'relu6',
};

const cases: Case[] = [
  base,
  { ...base, N: 1, H: 1, W: 1, C: 1, pad: [1, 1, 1, 1] },
  { ...base, C: 3, activation: 'relu', stride: [2, 2] },
  { ...base, C: 7, activation: 'none', H: 13, W: 5, stride: [2, 1], pad: [0, 2, 1, 0] },
  { ...base, C: 17, activation: 'silu', K: [5, 5], pad: [2, 2, 2, 2], stride: [2, 2] },
  { ...base, C: 16, K: [3, 3], dilation: [2, 2], pad: [2, 2, 2, 2] },
  { ...base, C: 17, K: [1, 3], pad: [0, 0, 1, 1] },
  { ...base, N: 1, C: 3, K: [3, 1], pad: [0, 0, 0, 0], H: 4, W: 3 },
  // Several row runs per thread: 64 x 64 channels is 16 KiB a row, ~24 rows a run.
  { ...base, N: 3, H: 61, W: 64, C: 64, stride: [1, 1] },
  { ...base, N: 1, H: 75, W: 64, C: 65, stride: [2, 2], activation: 'relu' },
  // The whole-input fallback: padding as wide as the dilated kernel, and multiplier 2.
  { ...base, C: 5, pad: [3, 1, 1, 1] },
  { ...base, C: 5, pad: [1, 3, 0, 0], stride: [2, 2] },
  { ...base, C: 7, m: 2, activation: 'relu' },
];

/**
 * The data gradient with the norm's first backward pass inside (normGradient) against the plain
 * data gradient, masked and summed in JS; then batchNorm2dBackward from those sums against
 * batchNorm2dBackward on the plain data gradient.
 */
function runNormGradient(c: Case, seed: number): void {
  const g = new Generator(seed);
  const [KH, KW] = c.K;
  const { outShape } = resolveShapes(c);
  const h = tensor(randomArray(c.N * c.H * c.W * c.C, g, 2), [c.N, c.H, c.W, c.C]);
  const w = tensor(randomArray(c.C * c.m * KH * KW, g), [c.C * c.m, 1, KH, KW]);
  const dy = tensor(
    randomArray(
      outShape.reduce((a, b) => a * b, 1),
      g,
    ),
    outShape,
  );
  const gamma = tensor(randomArray(c.C, g), [c.C]);
  const stats = batchNorm2dTrainingAffine(h, { weight: gamma, activation: c.activation });
  const options = { stride: c.stride, padding: c.pad, dilation: c.dilation };
  const plain = depthwiseConv2dBackwardData(dy, w, h.shape, options);
  const sums = new Float64Array(2 * c.C);
  const masked = depthwiseConv2dBackwardData(dy, w, h.shape, options, {
    h,
    mean: stats.saveMean,
    affine: stats.saveAffine,
    activation: c.activation,
    sums,
  });
  expectNormGradient(`normGradient ${JSON.stringify(c)}`, {
    h,
    gamma,
    stats,
    activation: c.activation,
    plain,
    masked,
    sums,
  });
}

function resolveShapes(c: Case): { outShape: number[] } {
  const [KH, KW] = c.K;
  const OH =
    Math.floor((c.H + c.pad[0] + c.pad[1] - c.dilation[0] * (KH - 1) - 1) / c.stride[0]) + 1;
  const OW =
    Math.floor((c.W + c.pad[2] + c.pad[3] - c.dilation[1] * (KW - 1) - 1) / c.stride[1]) + 1;
  return { outShape: [c.N, OH, OW, c.C * c.m] };
}

describeEachIsa('depthwise with inputNorm', () => {
  test("data gradient with the norm's first backward pass inside, and the norm from its sums", () => {
    // (A norm in training needs more than one value per channel.)
    cases.filter((c) => c.N * c.H * c.W > 1).forEach((c, i) => runNormGradient(c, 200 + i));
  });

  test('forward, statistics and backward-weights match the reference on the normalised input', () => {
    cases.forEach((c, i) => run(c, 100 + i));
  });

  test('1, 2 and 3 threads', () => {
    const saved = runtime.getNumThreads();
    try {
      for (const threads of [1, 2, 3]) {
        runtime.setNumThreads(threads);
        run(cases[8], 7);
        run(cases[9], 8);
        runNormGradient(cases[8], 9);
        runNormGradient(cases[9], 10);
      }
    } finally {
      runtime.setNumThreads(saved);
    }
  });
});

describe('depthwise inputNorm rejects bad arguments', () => {
  const x = tensor(new Float32Array(2 * 4 * 4 * 3), [2, 4, 4, 3]);
  const w = tensor(new Float32Array(3 * 9), [3, 1, 3, 3]);
  const affine = (n: number): Tensor => tensor(new Float32Array(n), [n]);
  test('an affine of the wrong length names the op and the length', () => {
    expect(() =>
      depthwiseConv2d(x, w, null, { inputNorm: { affine: affine(11), activation: 'relu' } }),
    ).toThrow(/depthwiseConv2d: expected 12 floats.*inputNorm\.affine.*shape \[11\]/);
    expect(() =>
      depthwiseConv2dBackwardWeights(
        x,
        tensor(new Float32Array(2 * 2 * 2 * 3), [2, 2, 2, 3]),
        [3, 1, 3, 3],
        {
          inputNorm: { affine: affine(3), activation: 'relu' },
        },
      ),
    ).toThrow(RangeError);
  });
  test('an unknown activation or a non-object is rejected', () => {
    expect(() =>
      depthwiseConv2d(x, w, null, {
        inputNorm: { affine: affine(12), activation: 'gelu' as unknown as 'relu' },
      }),
    ).toThrow(/'silu' for inputNorm\.activation but received 'gelu'/);
    expect(() =>
      depthwiseConv2d(x, w, null, {
        inputNorm: 3 as unknown as { affine: Tensor; activation: 'relu' },
      }),
    ).toThrow(TypeError);
  });
  test('the native entry points check the affine length and the activation code', () => {
    const g = [2, 4, 4, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1] as const;
    const y = new Float32Array(2 * 4 * 4 * 3);
    expect(() =>
      depthwiseNative.depthwiseConv2d(
        ...g,
        x.data,
        w.data,
        null,
        0,
        y,
        null,
        new Float32Array(5),
        1,
      ),
    ).toThrow(/depthwiseConv2d.*inputAffine/);
    expect(() =>
      depthwiseNative.depthwiseConv2d(
        ...g,
        x.data,
        w.data,
        null,
        0,
        y,
        null,
        new Float32Array(12),
        7,
      ),
    ).toThrow(/inputActivation/);
  });
});
