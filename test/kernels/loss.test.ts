// Softmax, logSoftmax, cross-entropy, nll and mse (forward and backward) against the scalar
// references on every ISA path, plus values computed once with PyTorch 1.13 to pin the
// semantics (weights, label smoothing, ignoreIndex, reductions), and bad arguments.
import { runtime, tensor, Tensor } from '../../lib';
import {
  crossEntropy,
  crossEntropyBackward,
  logSoftmax,
  logSoftmaxBackward,
  lossNative,
  mseLoss,
  mseLossBackward,
  nllLoss,
  nllLossBackward,
  Reduction,
  softmax,
  softmaxBackward,
} from '../../lib/kernels/loss';
import { Generator } from '../../lib/random';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

const classCounts = [1, 3, 7, 13, 17, 1000];
const batches = [1, 3, 37];
const reductions: Reduction[] = ['mean', 'sum', 'none'];

// Float32 sums over C terms plus the vectorised exp (~2 ulp): error grows like C * 2^-24;
// 4x that plus a floor for the exp and the final rounding.
const tolerance = (C: number): number => 4 * C * 2 ** -24 + 2e-6;

function check(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
): void {
  const { error, index } = maxRelativeError(actual, expected);
  if (!(error <= tol))
    throw new Error(
      `${what}: error ${error} at ${index} (got ${actual[index]}, want ${expected[index]}) > ${tol}`,
    );
}

function makeLabels(
  g: Generator,
  N: number,
  C: number,
  ignoreIndex: number,
  withIgnored: boolean,
): Int32Array {
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) labels[i] = Math.floor(g.uniform() * C);
  if (withIgnored && N > 1) labels[1] = ignoreIndex;
  return labels;
}

describeEachIsa('softmax and logSoftmax', () => {
  for (const threads of [1, 2]) {
    test(`forward and backward vs reference, ${threads} thread(s)`, () => {
      runtime.setNumThreads(threads);
      const g = new Generator(11);
      for (const C of classCounts)
        for (const rows of [1, 3, 64]) {
          // Scale 40: logits far apart, so the max subtraction matters (exp(40) overflows nothing,
          // but exp of the raw sum would lose everything without it).
          const x = randomArray(rows * C, g, 40);
          const dy = randomArray(rows * C, g);
          const tol = tolerance(C);
          for (const [fwd, fwdRef, bwd, bwdRef, name] of [
            [
              lossNative.softmaxForward,
              lossNative.softmaxForwardReference,
              lossNative.softmaxBackward,
              lossNative.softmaxBackwardReference,
              'softmax',
            ],
            [
              lossNative.logSoftmaxForward,
              lossNative.logSoftmaxForwardReference,
              lossNative.logSoftmaxBackward,
              lossNative.logSoftmaxBackwardReference,
              'logSoftmax',
            ],
          ] as const) {
            const y = new Float32Array(rows * C),
              yRef = new Float32Array(rows * C);
            fwd(x, y, rows, C);
            fwdRef(x, yRef, rows, C);
            check(`${name} C=${C} rows=${rows}`, y, yRef, tol);
            const dx = new Float32Array(rows * C),
              dxRef = new Float32Array(rows * C);
            bwd(yRef, dy, dx, rows, C);
            bwdRef(yRef, dy, dxRef, rows, C);
            check(`${name}Backward C=${C} rows=${rows}`, dx, dxRef, tol);
          }
        }
      runtime.setNumThreads(runtime.info().maxThreads);
    });
  }

  test('the vectorised exp is accurate to 1e-6 relative over [-87, 88]', () => {
    // logSoftmaxBackward row [v, w] with dy = [1, 0] gives dx[1] = -exp(w): a direct probe of
    // the per-ISA exp polynomial (see native/isa/common/softmax_impl.h).
    const count = 20001;
    const y = new Float32Array(2 * count),
      dy = new Float32Array(2 * count),
      dx = new Float32Array(2 * count);
    for (let i = 0; i < count; i++) {
      y[2 * i + 1] = -87 + (175 * i) / (count - 1);
      dy[2 * i] = 1;
    }
    lossNative.logSoftmaxBackward(y, dy, dx, count, 2);
    let worst = 0;
    for (let i = 0; i < count; i++) {
      const want = Math.exp(y[2 * i + 1]);
      worst = Math.max(worst, Math.abs(-dx[2 * i + 1] - want) / want);
    }
    expect(worst).toBeLessThan(1e-6);
  });

  test('rows sum to one, huge logits stay finite, -inf gives probability 0', () => {
    const x = tensor([
      [1000, 999, -1000, -Infinity],
      [0, 0, 0, 0],
    ]);
    const p = softmax(x).data;
    expect(p[0] + p[1] + p[2] + p[3]).toBeCloseTo(1, 6);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(p[3]).toBe(0);
    expect(Array.from(p.subarray(4))).toEqual([0.25, 0.25, 0.25, 0.25]);
    const lp = logSoftmax(x).data;
    expect(lp[1]).toBeCloseTo(-1 - Math.log1p(Math.exp(-1)), 5);
    expect(lp[3]).toBe(-Infinity);
  });

  test('wrappers keep the shape and check dy', () => {
    const x = tensor(randomArray(2 * 3 * 5, new Generator(3)), [2, 3, 5]);
    const y = softmax(x);
    expect(y.shape).toEqual([2, 3, 5]);
    expect(softmaxBackward(y, y).shape).toEqual([2, 3, 5]);
    expect(logSoftmaxBackward(y, y).shape).toEqual([2, 3, 5]);
    expect(() => softmaxBackward(y, tensor([1, 2]))).toThrow(
      /convkit.softmaxBackward: expected shape \[2,3,5\]/,
    );
    expect(() => softmax(tensor(3))).toThrow(RangeError);
  });
});

describeEachIsa('crossEntropy and nllLoss', () => {
  test('forward and backward vs reference: classes, batches, smoothing, weights, reductions, ignoreIndex', () => {
    const g = new Generator(5);
    for (const C of classCounts)
      for (const N of batches)
        for (const eps of [0, 0.1])
          for (const weighted of [false, true])
            for (const reduction of reductions) {
              // ignoreIndex -100 (the default) and a valid class index (2) used as ignoreIndex.
              const ignoreIndex = C > 2 && N === 37 ? 2 : -100;
              const logits = randomArray(N * C, g, 8);
              const labels = makeLabels(g, N, C, ignoreIndex, true);
              const weight = weighted ? randomArray(C, g).map((v) => v + 1.5) : null;
              const outLength = reduction === 'none' ? N : 1;
              const gradOut = randomArray(outLength, g);
              const what = `C=${C} N=${N} eps=${eps} weighted=${weighted} ${reduction} ignore=${ignoreIndex}`;
              const out = new Float32Array(outLength),
                outRef = new Float32Array(outLength);
              lossNative.crossEntropyForward(
                logits,
                labels,
                N,
                C,
                weight,
                ignoreIndex,
                eps,
                reduction,
                out,
              );
              lossNative.crossEntropyForwardReference(
                logits,
                labels,
                N,
                C,
                weight,
                ignoreIndex,
                eps,
                reduction,
                outRef,
              );
              check(`crossEntropy ${what}`, out, outRef, tolerance(C));
              const dx = new Float32Array(N * C),
                dxRef = new Float32Array(N * C);
              lossNative.crossEntropyBackward(
                logits,
                labels,
                N,
                C,
                weight,
                ignoreIndex,
                eps,
                reduction,
                gradOut,
                dx,
              );
              lossNative.crossEntropyBackwardReference(
                logits,
                labels,
                N,
                C,
                weight,
                ignoreIndex,
                eps,
                reduction,
                gradOut,
                dxRef,
              );
              check(`crossEntropyBackward ${what}`, dx, dxRef, tolerance(C));
              // Ignored rows get exactly zero gradient.
              if (N > 1) expect(dx.subarray(C, 2 * C).every((v) => v === 0)).toBe(true);
              if (eps === 0) {
                const logp = new Float32Array(N * C);
                lossNative.logSoftmaxForwardReference(logits, logp, N, C);
                lossNative.nllLossForward(logp, labels, N, C, weight, ignoreIndex, reduction, out);
                lossNative.nllLossForwardReference(
                  logp,
                  labels,
                  N,
                  C,
                  weight,
                  ignoreIndex,
                  reduction,
                  outRef,
                );
                check(`nllLoss ${what}`, out, outRef, 1e-6);
                lossNative.nllLossBackward(
                  labels,
                  N,
                  C,
                  weight,
                  ignoreIndex,
                  reduction,
                  gradOut,
                  dx,
                );
                lossNative.nllLossBackwardReference(
                  labels,
                  N,
                  C,
                  weight,
                  ignoreIndex,
                  reduction,
                  gradOut,
                  dxRef,
                );
                check(`nllLossBackward ${what}`, dx, dxRef, 1e-6);
              }
            }
  });

  test('matches PyTorch 1.13 (weights, label smoothing, ignoreIndex, reductions)', () => {
    const N = 5,
      C = 7;
    const x = tensor(
      Array.from({ length: N * C }, (_, k) => Math.sin(0.37 * k) * 3),
      [N, C],
    );
    const labels = [0, 6, -100, 3, 6];
    const weight = tensor(Array.from({ length: C }, (_, c) => 0.5 + 0.25 * c));
    for (const [key, want] of Object.entries(torchValues)) {
      const [eps, weighted, reduction] = key.split('-');
      const options = {
        labelSmoothing: Number(eps),
        weight: weighted === 'True' ? weight : null,
        reduction: reduction as Reduction,
      };
      const loss = crossEntropy(x, labels, options);
      const expected = Array.isArray(want.loss) ? want.loss : [want.loss];
      check(`torch ${key} loss`, loss.data, expected, 2e-6);
      expect(loss.shape).toEqual(reduction === 'none' ? [N] : []);
      const gradOut = reduction === 'none' ? tensor([1, 1, 1, 1, 1]) : tensor(1);
      const dx = crossEntropyBackward(x, labels, gradOut, options).data;
      check(
        `torch ${key} grad`,
        [dx[0], dx[3 * C + 6], dx[3 * C + 3]],
        [want.grad00, want.grad36, want.grad33],
        2e-6,
      );
      if (Number(eps) === 0)
        check(`torch ${key} nll`, nllLoss(logSoftmax(x), labels, options).data, expected, 2e-6);
    }
  });

  test("'mean' over only ignored rows is NaN (0/0), like PyTorch", () => {
    const x = tensor([[1, 2, 3]]);
    expect(Number.isNaN(crossEntropy(x, [-100]).item())).toBe(true);
    expect(crossEntropy(x, [-100], { reduction: 'sum' }).item()).toBe(0);
  });

  test('nllLossBackward wrapper and labels as a Tensor', () => {
    const lp = logSoftmax(
      tensor([
        [1, 2, 3],
        [0, 0, 1],
      ]),
    );
    const dx = nllLossBackward(lp, tensor([2, 0]), tensor(1), { reduction: 'mean' }).data;
    expect(Array.from(dx)).toEqual([0, 0, -0.5, -0.5, 0, 0]);
  });
});

describeEachIsa('mseLoss', () => {
  test('forward and backward vs reference', () => {
    const g = new Generator(9);
    for (const n of [1, 3, 17, 1000, 70001])
      for (const reduction of reductions) {
        const input = randomArray(n, g),
          target = randomArray(n, g);
        const outLength = reduction === 'none' ? n : 1;
        const out = new Float32Array(outLength),
          outRef = new Float32Array(outLength);
        lossNative.mseLossForward(input, target, n, reduction, out);
        lossNative.mseLossForwardReference(input, target, n, reduction, outRef);
        check(`mse n=${n} ${reduction}`, out, outRef, 1e-6);
        const gradOut = randomArray(outLength, g);
        const dx = new Float32Array(n),
          dxRef = new Float32Array(n);
        lossNative.mseLossBackward(input, target, n, reduction, gradOut, dx);
        lossNative.mseLossBackwardReference(input, target, n, reduction, gradOut, dxRef);
        check(`mseBackward n=${n} ${reduction}`, dx, dxRef, 1e-6);
      }
  });

  test('wrapper: mean, shape of none, gradient', () => {
    const a = tensor([
        [1, 2],
        [3, 4],
      ]),
      b = tensor([
        [1, 0],
        [0, 4],
      ]);
    expect(mseLoss(a, b).item()).toBeCloseTo((4 + 9) / 4, 6);
    expect(mseLoss(a, b, { reduction: 'none' }).shape).toEqual([2, 2]);
    expect(Array.from(mseLossBackward(a, b, tensor(1), { reduction: 'sum' }).data)).toEqual([
      0, 4, 6, 0,
    ]);
  });
});

describe('loss arguments', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  test('label out of range names the index and the value', () => {
    expect(() => crossEntropy(x, [0, 3])).toThrow(RangeError);
    expect(() => crossEntropy(x, [0, 3])).toThrow(
      /convkit.crossEntropy: .*labels\[1\].*received 3/,
    );
    expect(() => nllLoss(x, [-1, 0])).toThrow(/convkit.nllLoss: .*labels\[0\].*received -1/);
    // The binding re-checks (native code never indexes with an unchecked label).
    expect(() =>
      lossNative.crossEntropyForward(
        x.data,
        new Int32Array([0, 7]),
        2,
        3,
        null,
        -100,
        0,
        'mean',
        new Float32Array(1),
      ),
    ).toThrow(/convkit.crossEntropyForward: .*labels\[1\] = 7/);
    expect(() => crossEntropy(x, [0, 1.5])).toThrow(RangeError);
  });
  test('shapes, ranks, options', () => {
    expect(() => crossEntropy(tensor([1, 2, 3]), [0])).toThrow(
      /convkit.crossEntropy: expected a 2-D tensor/,
    );
    expect(() => crossEntropy(x, [0])).toThrow(/convkit.crossEntropy: expected 2 labels/);
    expect(() => crossEntropy(x, [0, 1], { weight: tensor([1, 2]) })).toThrow(
      /expected shape \[3\]/,
    );
    expect(() => crossEntropy(x, [0, 1], { labelSmoothing: 1.5 })).toThrow(RangeError);
    expect(() => crossEntropy(x, [0, 1], { reduction: 'avg' as Reduction })).toThrow(/reduction/);
    expect(() => crossEntropy(x, 'abc' as unknown as number[])).toThrow(TypeError);
    expect(() => crossEntropyBackward(x, [0, 1], tensor([1, 1]))).toThrow(/gradOut/);
    expect(() => mseLoss(x, tensor([1, 2]))).toThrow(
      /convkit.mseLoss: expected shape \[2,3\] like input/,
    );
    expect(() =>
      lossNative.mseLossForward(x.data, x.data, 100, 'sum', new Float32Array(1)),
    ).toThrow(/convkit.mseLossForward: input holds 6 elements/);
  });
  test('disposed inputs are refused', () => {
    const t: Tensor = tensor([[1, 2]]);
    t.dispose();
    expect(() => softmax(t)).toThrow(/disposed/);
  });
});

// F.cross_entropy on x[i, c] = 3 sin(0.37 (i*7 + c)), labels [0, 6, -100, 3, 6],
// weight[c] = 0.5 + 0.25c, float64, PyTorch 1.13 (key: labelSmoothing-weighted-reduction);
// gradients of loss.sum() at [0,0], [3,6], [3,3].
const torchValues: Record<
  string,
  { loss: number | number[]; grad00: number; grad36: number; grad33: number }
> = {
  '0.0-False-mean': {
    loss: 3.08100943,
    grad00: -0.246659517,
    grad36: 0.000901508868,
    grad33: -0.228719116,
  },
  '0.0-False-sum': {
    loss: 12.3240377,
    grad00: -0.986638069,
    grad36: 0.00360603547,
    grad33: -0.914876463,
  },
  '0.0-False-none': {
    loss: [4.31534555, 5.00152884, 0.0, 2.4636517, 0.543511623],
    grad00: -0.986638069,
    grad36: 0.00360603547,
    grad33: -0.914876463,
  },
  '0.0-True-mean': {
    loss: 2.83953362,
    grad00: -0.0857946147,
    grad36: 0.000783920755,
    grad33: -0.198886188,
  },
  '0.0-True-sum': {
    loss: 16.3273183,
    grad00: -0.493319034,
    grad36: 0.00450754434,
    grad33: -1.14359558,
  },
  '0.0-True-none': {
    loss: [2.15767278, 10.0030577, 0.0, 3.07956462, 1.08702325],
    grad00: -0.493319034,
    grad36: 0.00450754434,
    grad33: -1.14359558,
  },
  '0.1-False-mean': {
    loss: 3.04656199,
    grad00: -0.225230946,
    grad36: -0.0026699197,
    grad33: -0.207290544,
  },
  '0.1-False-sum': {
    loss: 12.1862479,
    grad00: -0.900923783,
    grad36: -0.0106796788,
    grad33: -0.829162177,
  },
  '0.1-False-none': {
    loss: [4.11454597, 4.82173665, 0.0, 2.50294269, 0.747022637],
    grad00: -0.900923783,
    grad36: -0.0106796788,
    grad33: -0.829162177,
  },
  '0.1-True-mean': {
    loss: 2.80668012,
    grad00: -0.0781669124,
    grad36: -0.00418502334,
    grad33: -0.180252647,
  },
  '0.1-True-sum': {
    loss: 16.1384107,
    grad00: -0.449459747,
    grad36: -0.0240638842,
    grad33: -1.03645272,
  },
  '0.1-True-none': {
    loss: [2.18842484, 9.4831172, 0.0, 3.20926578, 1.25760287],
    grad00: -0.449459747,
    grad36: -0.0240638842,
    grad33: -1.03645272,
  },
};
