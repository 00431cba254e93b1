// Both gradients of a 1x1 convolution whose output a batch norm read, with the norm's second
// backward pass inside (conv2dBackwardNormApplied), against the norm's backward from the same
// sums followed by the scalar references of the conv's data and weight gradients, on every ISA
// path: odd channel counts (1, 3, 7, 13, 17), batch 1, non-square images, the stored-dh path
// (small) and the chunked one (1M+ floats of output: several chunks per thread, a partial last
// chunk, dW and dW^T orientations), accumulation into dx, each gradient on its own; then the
// op that uses it (pointwiseNormDepthwise, ReLU6, none and SiLU) against F.conv2d, F.batchNorm
// and F.conv2d as three ops, a gradient check, and bad arguments.
import { F, tensor, Tensor } from '../../lib';
import { assertGradcheck } from '../../lib/autograd';
import { batchNorm2dBackward, batchNorm2dTrainingAffine } from '../../lib/kernels/batchnorm';
import { conv2dBackwardNormApplied, conv2dParams, convNative } from '../../lib/kernels/conv';
import { pointwiseNormDepthwise } from '../../lib/ops/pointwise_norm_depthwise';
import { Generator } from '../../lib/random';
import { describeEachIsa, expectThrows, maxRelativeError, randomArray } from '../helpers';

interface Case {
  N: number;
  H: number;
  W: number;
  Cin: number;
  /** The conv's output channels: the norm's. */
  Cout: number;
}

const cases: Case[] = [
  { N: 1, H: 3, W: 5, Cin: 1, Cout: 3 },
  { N: 2, H: 7, W: 3, Cin: 3, Cout: 17 },
  { N: 3, H: 5, W: 7, Cin: 7, Cout: 13 },
  { N: 1, H: 13, W: 11, Cin: 13, Cout: 7 },
  { N: 2, H: 9, W: 7, Cin: 17, Cout: 1 },
  // Chunked: rows x Cout >= 1M floats; dW^T on AVX-512's tiles (17 x 208 pads less).
  { N: 2, H: 57, W: 45, Cin: 17, Cout: 208 },
  // Chunked, dW itself (96 x 16 on 16 x 16 tiles).
  { N: 1, H: 111, W: 99, Cin: 16, Cout: 96 },
];

function expectClose(what: string, actual: Tensor | null, expected: Float32Array): void {
  if (!actual) throw new Error(`${what}: missing`);
  const e = maxRelativeError(actual.data, expected);
  if (!(e.error < 1e-4)) throw new Error(`${what}: error ${e.error} at ${e.index}`);
}

function run(c: Case, seed: number): void {
  const g = new Generator(seed);
  const rows = c.N * c.H * c.W;
  const x = tensor(randomArray(rows * c.Cin, g), [c.N, c.H, c.W, c.Cin]);
  const w = tensor(randomArray(c.Cout * c.Cin, g), [c.Cout, c.Cin, 1, 1]);
  const h = tensor(randomArray(rows * c.Cout, g, 2), [c.N, c.H, c.W, c.Cout]);
  const masked = tensor(randomArray(rows * c.Cout, g), [c.N, c.H, c.W, c.Cout]);
  const gamma = tensor(randomArray(c.Cout, g), [c.Cout]);
  const stats = batchNorm2dTrainingAffine(h, { weight: gamma });
  const sums = new Float64Array(2 * c.Cout);
  for (let i = 0; i < masked.size; i++) {
    const ch = i % c.Cout;
    sums[ch] += masked.data[i];
    sums[c.Cout + ch] += masked.data[i] * (h.data[i] - stats.saveMean.data[ch]);
  }
  // The reference: the norm's backward from the sums (dh stored), then the scalar conv gradients.
  const norm = batchNorm2dBackward(h, masked, {
    weight: gamma,
    mean: stats.saveMean,
    invstd: stats.saveInvstd,
    sums,
  });
  const { params } = conv2dParams(x.shape, w.shape);
  const wantDx = new Float32Array(x.size);
  convNative.conv2dBackwardDataReference(params, norm.dx.data, w.data, wantDx);
  const wantDw = new Float32Array(w.size);
  convNative.conv2dBackwardWeightsReference(params, x.data, norm.dx.data, wantDw, null);
  const normArgs = {
    h,
    g: masked,
    mean: stats.saveMean,
    invstd: stats.saveInvstd,
    gamma,
    training: true,
    sums,
  };
  const what = JSON.stringify(c);
  const all = conv2dBackwardNormApplied(x, w, normArgs, {
    dx: true,
    dWeight: true,
    normParameters: true,
  });
  expectClose(`${what} dx`, all.dx, wantDx);
  expectClose(`${what} dW`, all.dWeight, wantDw);
  expectClose(`${what} dgamma`, all.dGamma, norm.dweight!.data);
  expectClose(`${what} dbeta`, all.dBeta, norm.dbias!.data);
  // Added into dx; each gradient on its own.
  const base = randomArray(x.size, g);
  const into = tensor(base.slice(), x.shape);
  const added = conv2dBackwardNormApplied(x, w, normArgs, {
    dx: true,
    accumulateInto: into,
    dWeight: false,
    normParameters: false,
  });
  expect(added.dx).toBe(into);
  expect(added.dWeight).toBeNull();
  expect(added.dGamma).toBeNull();
  expectClose(
    `${what} dx added`,
    into,
    wantDx.map((v, i) => v + base[i]),
  );
  const onlyW = conv2dBackwardNormApplied(x, w, normArgs, {
    dx: false,
    dWeight: true,
    normParameters: false,
  });
  expect(onlyW.dx).toBeNull();
  expectClose(`${what} dW alone`, onlyW.dWeight, wantDw);
}

/** The tensors, marked as requiring gradients. */
function leaves(...ts: Tensor[]): Tensor[] {
  for (const t of ts) t.requiresGrad = true;
  return ts;
}

/** pointwiseNormDepthwise against the three ops: output, every gradient, running statistics. */
function compareWithThreeOps(
  stride: number,
  activation: 'relu6' | 'none' | 'silu',
  seed: number,
): void {
  const g = new Generator(seed);
  const [N, H, W, Cin, C] = [2, 9, 7, 5, 13];
  const x = tensor(randomArray(N * H * W * Cin, g), [N, H, W, Cin]);
  const pw = tensor(randomArray(C * Cin, g), [C, Cin, 1, 1]);
  const gamma = tensor(randomArray(C, g), [C]);
  const beta = tensor(randomArray(C, g), [C]);
  const dw = tensor(randomArray(C * 9, g), [C, 1, 3, 3]);
  const dwBias = tensor(randomArray(C, g), [C]);
  const other = tensor(randomArray(x.size, g), x.shape);
  leaves(x, pw, gamma, beta, dw, dwBias);
  const convOptions = { stride, padding: 1, groups: C };
  const once = (fused: boolean): Tensor[] => {
    for (const t of [x, pw, gamma, beta, dw, dwBias]) t.grad = null;
    const runningMean = tensor(new Float32Array(C), [C]);
    const runningVar = tensor(new Float32Array(C).fill(1), [C]);
    const norm = { weight: gamma, bias: beta, runningMean, runningVar, training: true, activation };
    const y = fused
      ? pointwiseNormDepthwise(x, pw, norm, dw, dwBias, convOptions)
      : F.conv2d(F.batchNorm(F.conv2d(x, pw), norm), dw, dwBias, convOptions);
    const weights = tensor(randomArray(y.size, new Generator(seed + 1)), y.shape);
    // x also reaches the loss another way: its gradient is added to.
    F.add(F.sum(F.mul(y, weights)), F.sum(F.mul(x, other))).backward();
    return [
      y,
      x.grad!,
      pw.grad!,
      gamma.grad!,
      beta.grad!,
      dw.grad!,
      dwBias.grad!,
      runningMean,
      runningVar,
    ];
  };
  const fused = once(true);
  const threeOps = once(false);
  fused.forEach((t, i) => {
    const r = maxRelativeError(t.data, threeOps[i].data);
    if (!(r.error < 1e-4)) throw new Error(`tensor ${i} (stride ${stride}): error ${r.error}`);
  });
}

describeEachIsa('1x1 conv gradients with the norm applied inside', () => {
  test("data and weight gradients with the norm's second backward pass inside", () => {
    cases.forEach((c, i) => run(c, 500 + i));
  });

  test('pointwiseNormDepthwise equals the 1x1 conv, the norm and the depthwise conv as three ops', () => {
    compareWithThreeOps(1, 'relu6', 41);
    compareWithThreeOps(2, 'none', 42);
    compareWithThreeOps(2, 'silu', 43); // the norm's output stored for the depthwise conv
  });
});

test('gradient check of pointwiseNormDepthwise (training, ReLU6, stride 2)', () => {
  const g = new Generator(51);
  const x = tensor(randomArray(2 * 5 * 4 * 3, g), [2, 5, 4, 3]);
  const pw = tensor(randomArray(6 * 3, g), [6, 3, 1, 1]);
  const gamma = tensor(randomArray(6, g), [6]);
  const beta = tensor(randomArray(6, g), [6]);
  const dw = tensor(randomArray(6 * 9, g), [6, 1, 3, 3]);
  leaves(x, pw, gamma, beta, dw);
  assertGradcheck(
    (xi, pwi, gi, bi, dwi) =>
      pointwiseNormDepthwise(
        xi,
        pwi,
        { weight: gi, bias: bi, training: true, activation: 'relu6' },
        dwi,
        null,
        { stride: 2, padding: 1, groups: 6 },
      ),
    [x, pw, gamma, beta, dw],
    { eps: 1e-3, name: 'pointwiseNormDepthwise' },
  );
});

describe('1x1 conv gradients with the norm applied inside: bad arguments', () => {
  const x = tensor(new Float32Array(2 * 3 * 3 * 4), [2, 3, 3, 4]);
  const h = tensor(new Float32Array(2 * 3 * 3 * 5), [2, 3, 3, 5]);
  const c5 = tensor(new Float32Array(5), [5]);
  const norm = {
    h,
    g: h,
    mean: c5,
    invstd: c5,
    gamma: null,
    training: true,
    sums: new Float64Array(10),
  };
  const all = { dx: true, dWeight: true, normParameters: true };
  const w = tensor(new Float32Array(20), [5, 4, 1, 1]);
  test('not a 1x1 kernel, sums of the wrong length, g of the wrong shape: RangeError naming the op', () => {
    expectThrows(
      () => conv2dBackwardNormApplied(x, tensor(new Float32Array(180), [5, 4, 3, 3]), norm, all),
      'RangeError',
      /conv2dBackwardNormApplied: .*1x1 kernel/,
    );
    expectThrows(
      () => conv2dBackwardNormApplied(x, w, { ...norm, sums: new Float64Array(9) }, all),
      'RangeError',
      /conv2dBackwardNormApplied: .*Float64Array of 10 for norm\.sums/,
    );
    expectThrows(
      () => conv2dBackwardNormApplied(x, w, { ...norm, g: x }, all),
      'RangeError',
      /conv2dBackwardNormApplied: .*norm\.g/,
    );
  });
  test('the binding refuses a 3x3 kernel', () => {
    const params = [2, 3, 3, 4, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    expect(() =>
      convNative.conv2dBackwardNormApplied(
        params,
        x.data,
        new Float32Array(180),
        h.data,
        h.data,
        c5.data,
        c5.data,
        null,
        true,
        new Float64Array(10),
        new Float32Array(x.size),
        false,
        null,
        null,
        null,
      ),
    ).toThrow(/conv2dBackwardNormApplied: needs a 1x1 stride-1/);
  });
  test('pointwiseNormDepthwise: eval statistics are a RangeError', () => {
    const dw = tensor(new Float32Array(45), [5, 1, 3, 3]);
    expectThrows(
      () => pointwiseNormDepthwise(x, w, { training: false }, dw, null, { padding: 1, groups: 5 }),
      'RangeError',
      /pointwiseNormDepthwise: the norm must be in training/,
    );
  });
});
