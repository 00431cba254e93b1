// F.batchNorm's `excite` (a squeeze-and-excitation fused into the norm: ops/batchnorm_excite.ts
// over native/kernels/batchnorm_excite.h) on every ISA path, against the same computation with
// the separate ops (batch norm, adaptive average pool, the excitation, multiply): output,
// running statistics and every gradient (x, the norm's weight and bias, the excitation's
// parameters). Odd channel counts (vector tails), H*W = 1, batch 1 with enough rows for both
// threads (a sample's rows split between them), training and eval, each activation.
import { F, tensor, Tensor } from '../../lib';
import * as excite from '../../lib/kernels/batchnorm_excite';
import { batchNorm2dTrainingAffine } from '../../lib/kernels/batchnorm';
import { native } from '../../lib/native';
import { Generator } from '../../lib/random';
import { describeEachIsa, expectThrows, maxRelativeError, randomArray } from '../helpers';

type Activation = 'none' | 'relu' | 'relu6' | 'silu';

function parameter(values: Float32Array, shape: number[]): Tensor {
  const t = tensor(values, shape);
  t.requiresGrad = true;
  return t;
}

/** A block's inputs and parameters: x, the norm's, and a two-layer excitation's. */
function setup([N, H, W, C]: number[], seed: number) {
  const g = new Generator(seed);
  const squeeze = Math.max(1, C >> 2);
  return {
    x: parameter(randomArray(N * H * W * C, g, 3), [N, H, W, C]),
    weight: parameter(randomArray(C, g, 2), [C]),
    bias: parameter(randomArray(C, g), [C]),
    w1: parameter(randomArray(squeeze * C, g), [squeeze, C, 1, 1]),
    b1: parameter(randomArray(squeeze, g), [squeeze]),
    w2: parameter(randomArray(C * squeeze, g), [C, squeeze, 1, 1]),
    b2: parameter(randomArray(C, g), [C]),
    runningMean: tensor(randomArray(C, g)),
    runningVar: tensor(randomArray(C, g).map((v) => Math.abs(v) + 0.5)),
    dOut: tensor(randomArray(N * H * W * C, g), [N, H, W, C]),
  };
}

type Setup = ReturnType<typeof setup>;

/** The excitation: fc1, SiLU, fc2, sigmoid (torchvision's SqueezeExcitation after the pool). */
const excitation = (s: Setup) => (pooled: Tensor) =>
  F.sigmoid(F.conv2d(F.silu(F.conv2d(pooled, s.w1, s.b1)), s.w2, s.b2));

/** Output, running statistics after the forward and the gradients: fused or op by op. */
function run(s: Setup, activation: Activation, training: boolean, fused: boolean) {
  const params = [s.x, s.weight, s.bias, s.w1, s.b1, s.w2, s.b2];
  for (const p of params) p.clearGrad();
  const runningMean = s.runningMean.clone();
  const runningVar = s.runningVar.clone();
  const scaleOf = excitation(s);
  const options = { weight: s.weight, bias: s.bias, runningMean, runningVar, training, activation };
  let out: Tensor;
  if (fused) {
    out = F.batchNorm(s.x, { ...options, excite: scaleOf });
  } else {
    const h = F.batchNorm(s.x, options);
    out = F.mul(h, scaleOf(F.adaptiveAvgPool2d(h, 1)));
  }
  out.backward(s.dOut);
  return {
    out: out.data.slice(),
    runningMean: runningMean.data.slice(),
    runningVar: runningVar.data.slice(),
    grads: params.map((p) => p.grad!.data.slice()),
  };
}

describeEachIsa('batchNorm with excite', () => {
  const shapes = [
    [2, 3, 5, 7],
    [3, 4, 3, 17],
    [2, 1, 1, 13],
    [4, 6, 6, 64],
    [1, 32, 32, 40],
  ];
  for (const shape of shapes)
    for (const activation of ['none', 'relu', 'relu6', 'silu'] as const)
      for (const training of [true, false])
        test(`[${shape}] ${activation} training=${training}`, () => {
          const s = setup(shape, shape[3] * 10 + shape[0]);
          const got = run(s, activation, training, true);
          const want = run(s, activation, training, false);
          expect(maxRelativeError(got.out, want.out).error).toBeLessThan(1e-5);
          expect(maxRelativeError(got.runningMean, want.runningMean).error).toBeLessThan(1e-6);
          expect(maxRelativeError(got.runningVar, want.runningVar).error).toBeLessThan(1e-6);
          got.grads.forEach((grad, i) =>
            expect(maxRelativeError(grad, want.grads[i]).error).toBeLessThan(2e-4),
          );
        });
});

describe('batchNorm with excite: gradients', () => {
  test('only the excitation needs gradients (x and the norm frozen)', () => {
    const s = setup([2, 3, 3, 5], 3);
    for (const t of [s.x, s.weight, s.bias]) t.requiresGrad = false;
    const out = F.batchNorm(s.x, {
      weight: s.weight,
      bias: s.bias,
      training: true,
      activation: 'silu',
      excite: excitation(s),
    });
    out.backward(s.dOut);
    expect(s.w2.grad).not.toBeNull();
    expect(s.w1.grad).not.toBeNull();
    expect(s.x.grad).toBeNull();
    expect(s.weight.grad).toBeNull();
  });

  test('runs twice through a retained graph', () => {
    const s = setup([2, 3, 3, 5], 4);
    const out = F.batchNorm(s.x, {
      weight: s.weight,
      bias: s.bias,
      training: true,
      activation: 'silu',
      excite: excitation(s),
    });
    out.backward(s.dOut, { retainGraph: true });
    const first = s.x.grad!.data.slice();
    const firstW = s.w2.grad!.data.slice();
    out.backward(s.dOut);
    expect(
      maxRelativeError(
        s.x.grad!.data,
        first.map((v) => 2 * v),
      ).error,
    ).toBeLessThan(1e-6);
    expect(
      maxRelativeError(
        s.w2.grad!.data,
        firstW.map((v) => 2 * v),
      ).error,
    ).toBeLessThan(1e-6);
  });
});

describe('batchNorm with excite: bad input', () => {
  const x = tensor(new Float32Array(2 * 2 * 2 * 3).fill(1), [2, 2, 2, 3]);
  const scale = (p: Tensor) => p;

  test('not with a residual, channels or accumulateGradInto', () => {
    expectThrows(() => F.batchNorm(x, { residual: x, excite: scale }), 'RangeError', /excite/);
    expectThrows(() => F.batchNorm(x, { channels: 2, excite: scale }), 'RangeError', /excite/);
  });

  test('the excitation must return [N, 1, 1, C]', () => {
    expectThrows(
      () => F.batchNorm(x, { training: true, excite: () => tensor([1, 2, 3]) }),
      'RangeError',
      /batchNormExciteApply.*\[2,1,1,3\].*scale/,
    );
  });

  test('kernel arguments are checked', () => {
    const { saveAffine } = batchNorm2dTrainingAffine(x, { activation: 'silu' });
    expectThrows(
      () => excite.batchNormExcitePool(x, tensor([1, 2]), 'silu'),
      'RangeError',
      /batchNormExcitePool.*affine/,
    );
    const sums = excite.batchNormExciteBackwardSums(x, x, {
      mean: tensor([0, 0, 0]),
      affine: saveAffine,
      activation: 'silu',
    });
    expectThrows(
      () =>
        excite.batchNormExciteBackward(x, x, sums, tensor([1]), {
          mean: tensor([0, 0, 0]),
          invstd: tensor([1, 1, 1]),
          affine: saveAffine,
          activation: 'silu',
          training: true,
          scale: tensor(new Float32Array(6), [2, 1, 1, 3]),
          parameterGradients: false,
        }),
      'RangeError',
      /batchNormExciteBackward.*poolGrad/,
    );
  });

  test('the native forward needs y or saveAffine', () => {
    const nat = native as unknown as Record<string, (...args: unknown[]) => void>;
    const f = new Float32Array(3);
    expectThrows(
      () =>
        nat.batchNormForwardTraining(
          8,
          3,
          x.data,
          null,
          null,
          null,
          null,
          0.1,
          1e-5,
          'none',
          null,
          f,
          f,
        ),
      'TypeError',
      /y and saveAffine/,
    );
    expectThrows(
      () => nat.batchNormExciteApply(2, 4, 3, x.data, new Float32Array(12), 'tanh', f, x.data),
      'RangeError',
      /activation/,
    );
  });
});
