// A 1x1 convolution's data gradient with the first backward pass of the batch norm that made
// its input inside (conv2dBackwardDataNormGradient: each run of dx rows masked and summed
// right after the GEMM wrote it), against the plain data gradient masked and summed in JS, and
// the norm's backward from those sums against the norm's two-pass backward, on every ISA path:
// odd channel counts (1, 3, 7, 13, 17), batch 1, non-square images, enough rows for several
// runs per thread, h wider than the conv's input (a DenseNet buffer's prefix), every
// activation; then F.conv2d's inputNorm on a 1x1 conv against the norm and conv as two ops
// (output, every gradient, running statistics), a gradient check, and bad arguments.
import { F, tensor, Tensor } from '../../lib';
import { assertGradcheck } from '../../lib/autograd';
import { batchNorm2dTrainingAffine } from '../../lib/kernels/batchnorm';
import {
  conv2dBackwardData,
  conv2dBackwardDataNormGradient,
  convNative,
} from '../../lib/kernels/conv';
import { Generator } from '../../lib/random';
import { describeEachIsa, expectThrows, maxRelativeError, randomArray } from '../helpers';
import { expectNormGradient, type NormActivation } from './norm_gradient_check';

interface Case {
  N: number;
  H: number;
  W: number;
  /** The conv's input channels (the norm's). */
  C: number;
  /** h's channels (>= C). */
  width: number;
  Cout: number;
  activation: NormActivation;
}

const cases: Case[] = [
  { N: 1, H: 3, W: 5, C: 1, width: 1, Cout: 3, activation: 'relu' },
  { N: 2, H: 7, W: 3, C: 3, width: 3, Cout: 17, activation: 'relu6' },
  { N: 3, H: 5, W: 7, C: 7, width: 12, Cout: 13, activation: 'silu' },
  { N: 1, H: 13, W: 11, C: 13, width: 13, Cout: 7, activation: 'relu' },
  // ~64K floats of dx per run: several runs on each thread, partial last run.
  { N: 2, H: 61, W: 37, C: 17, width: 40, Cout: 33, activation: 'relu' },
  { N: 4, H: 40, W: 40, C: 128, width: 256, Cout: 32, activation: 'relu6' },
  { N: 2, H: 9, W: 7, C: 13, width: 16, Cout: 5, activation: 'none' }, // g is dx itself
];

/** The tensors, marked as requiring gradients. */
function leaves(...ts: Tensor[]): Tensor[] {
  for (const t of ts) t.requiresGrad = true;
  return ts;
}

function run(c: Case, seed: number): void {
  const g = new Generator(seed);
  const rows = c.N * c.H * c.W;
  const wide = tensor(randomArray(rows * c.width, g, 2), [c.N, c.H, c.W, c.width]);
  // The norm's input: h's first C channels, as the norm reads them (a plain tensor of C).
  const hData = new Float32Array(rows * c.C);
  for (let r = 0; r < rows; r++)
    for (let ch = 0; ch < c.C; ch++) hData[r * c.C + ch] = wide.data[r * c.width + ch];
  const h = tensor(hData, [c.N, c.H, c.W, c.C]);
  const w = tensor(randomArray(c.Cout * c.C, g), [c.Cout, c.C, 1, 1]);
  const dy = tensor(randomArray(rows * c.Cout, g), [c.N, c.H, c.W, c.Cout]);
  const gamma = tensor(randomArray(c.C, g), [c.C]);
  const stats = batchNorm2dTrainingAffine(h, { weight: gamma, activation: c.activation });
  const plain = conv2dBackwardData(dy, w, h.shape);
  const sums = new Float64Array(2 * c.C);
  const masked = conv2dBackwardDataNormGradient(dy, w, h.shape, {
    h: wide,
    mean: stats.saveMean,
    affine: stats.saveAffine,
    activation: c.activation,
    sums,
  });
  expectNormGradient(JSON.stringify(c), {
    h,
    gamma,
    stats,
    activation: c.activation,
    plain,
    masked,
    sums,
  });
}

/** F.conv2d with inputNorm, and the norm then the conv: output, gradients, running stats. */
function compareWithTwoOps(channels: number | undefined, seed: number): void {
  const g = new Generator(seed);
  const [N, H, W, width, C, Cout] = [2, 9, 7, 11, channels ?? 11, 5];
  const x = tensor(randomArray(N * H * W * width, g, 2), [N, H, W, width]);
  const gamma = tensor(randomArray(C, g), [C]);
  const beta = tensor(randomArray(C, g), [C]);
  const w = tensor(randomArray(Cout * C, g), [Cout, C, 1, 1]);
  const weights = tensor(randomArray(N * H * W * Cout, g), [N, H, W, Cout]);
  leaves(x, gamma, beta, w);
  const once = (fused: boolean) => {
    for (const t of [x, gamma, beta, w]) t.grad = null;
    const runningMean = tensor(new Float32Array(C), [C]);
    const runningVar = tensor(new Float32Array(C).fill(1), [C]);
    const norm = {
      weight: gamma,
      bias: beta,
      runningMean,
      runningVar,
      training: true,
      activation: 'relu' as const,
      channels,
    };
    const y = fused
      ? F.conv2d(x, w, null, {}, { inputNorm: norm })
      : F.conv2d(F.batchNorm(x, norm), w, null, {});
    F.sum(F.mul(y, weights)).backward();
    return [y, x.grad!, gamma.grad!, beta.grad!, w.grad!, runningMean, runningVar];
  };
  const fused = once(true);
  const twoOps = once(false);
  fused.forEach((t: Tensor, i) => {
    const r = maxRelativeError(t.data, twoOps[i].data);
    if (!(r.error < 1e-4)) throw new Error(`tensor ${i} (channels ${channels}): error ${r.error}`);
  });
}

describeEachIsa('1x1 conv with the norm gradient', () => {
  test("data gradient with the norm's first backward pass inside, and the norm from its sums", () => {
    cases.forEach((c, i) => run(c, 300 + i));
  });

  test('F.conv2d inputNorm on a 1x1 conv equals the norm then the conv (all channels, a prefix)', () => {
    compareWithTwoOps(undefined, 11);
    compareWithTwoOps(6, 12);
  });
});

test('gradient check of F.conv2d with inputNorm on a 1x1 conv (training, ReLU6)', () => {
  const g = new Generator(21);
  const x = tensor(randomArray(2 * 3 * 4 * 5, g, 2), [2, 3, 4, 5]);
  const gamma = tensor(randomArray(5, g), [5]);
  const beta = tensor(randomArray(5, g), [5]);
  const w = tensor(randomArray(3 * 5, g), [3, 5, 1, 1]);
  leaves(x, gamma, beta, w);
  assertGradcheck(
    (xi, gi, bi, wi) =>
      F.conv2d(
        xi,
        wi,
        null,
        {},
        {
          inputNorm: { weight: gi, bias: bi, training: true, activation: 'relu6' },
        },
      ),
    [x, gamma, beta, w],
    { eps: 1e-3, name: 'conv2d inputNorm 1x1' },
  );
});

describe('1x1 conv with the norm gradient: bad arguments', () => {
  const h = tensor(new Float32Array(2 * 3 * 3 * 4), [2, 3, 3, 4]);
  const mean = tensor(new Float32Array(4), [4]);
  const affine = tensor(new Float32Array(16), [16]);
  const dy = tensor(new Float32Array(2 * 3 * 3 * 5), [2, 3, 3, 5]);
  const norm = { h, mean, affine, activation: 'relu' as const, sums: new Float64Array(8) };
  test('not a 1x1 kernel, sums of the wrong length, h too narrow: RangeError naming the op', () => {
    expectThrows(
      () =>
        conv2dBackwardDataNormGradient(
          tensor(new Float32Array(2 * 3 * 3 * 5), [2, 3, 3, 5]),
          tensor(new Float32Array(5 * 4 * 9), [5, 4, 3, 3]),
          h.shape,
          norm,
        ),
      'RangeError',
      /conv2dBackwardDataNormGradient: .*1x1 kernel/,
    );
    expectThrows(
      () =>
        conv2dBackwardDataNormGradient(dy, tensor(new Float32Array(20), [5, 4, 1, 1]), h.shape, {
          ...norm,
          sums: new Float64Array(7),
        }),
      'RangeError',
      /conv2dBackwardDataNormGradient: .*Float64Array of 8 for norm\.sums/,
    );
    expectThrows(
      () =>
        conv2dBackwardDataNormGradient(
          dy,
          tensor(new Float32Array(20), [5, 4, 1, 1]),
          [2, 3, 3, 4],
          {
            ...norm,
            h: tensor(new Float32Array(2 * 3 * 3 * 3), [2, 3, 3, 3]),
          },
        ),
      'RangeError',
      /conv2dBackwardDataNormGradient: .*norm\.h/,
    );
  });
  test('the binding refuses the sums with accumulate or a 3x3 kernel', () => {
    const params = [2, 3, 3, 4, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    expect(() =>
      convNative.conv2dBackwardData(
        params,
        dy.data,
        new Float32Array(5 * 4 * 9),
        h.data,
        0,
        false,
        h.data,
        4,
        mean.data,
        affine.data,
        1,
        new Float64Array(8),
      ),
    ).toThrow(/conv2dBackwardData: the norm's gradient sums need a 1x1/);
  });
});
