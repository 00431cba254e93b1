// Linear layer (on sgemm with the bias in its epilogue) against the scalar reference on every
// ISA path and thread count: odd feature counts, batch 1 and 3, with and without bias,
// gradient accumulation, and bad arguments.
import { runtime, tensor, zeros } from '../../lib';
import { linear, linearBackward, linearNative } from '../../lib/kernels/linear';
import { Generator } from '../../lib/random';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

const features = [1, 3, 7, 13, 17, 64];
const batches = [1, 3, 17];

// Each output is a float32 dot product of K terms in [-1, 1] (K = in for y and dW's rows use
// K = N, dx uses K = out): rounding grows at most like K * 2^-24; 4x that plus a floor.
const tolerance = (K: number): number => 4 * Math.max(K, 1) * 2 ** -24 + 1e-6;

function check(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  const { error, index } = maxRelativeError(got, want);
  if (!(error <= tol))
    throw new Error(
      `${what}: error ${error} at ${index} (${got[index]} vs ${want[index]}) > ${tol}`,
    );
}

describeEachIsa('linear', () => {
  for (const threads of [1, 2]) {
    test(`forward and backward vs reference, ${threads} thread(s)`, () => {
      runtime.setNumThreads(threads);
      const g = new Generator(threads);
      for (const N of batches)
        for (const inF of features)
          for (const outF of features)
            for (const withBias of [false, true]) {
              const x = randomArray(N * inF, g),
                w = randomArray(outF * inF, g),
                b = withBias ? randomArray(outF, g) : null;
              const what = `N=${N} in=${inF} out=${outF} bias=${withBias}`;
              const y = new Float32Array(N * outF).fill(NaN),
                yRef = new Float32Array(N * outF);
              linearNative.linearForward(x, w, b, y, N, inF, outF);
              linearNative.linearForwardReference(x, w, b, yRef, N, inF, outF);
              check(`forward ${what}`, y, yRef, tolerance(inF));
              const dy = randomArray(N * outF, g);
              for (const accumulate of [false, true]) {
                const dW0 = randomArray(outF * inF, g),
                  db0 = randomArray(outF, g);
                const dx = new Float32Array(N * inF).fill(NaN),
                  dW = dW0.slice(),
                  db = db0.slice();
                const dxRef = new Float32Array(N * inF),
                  dWRef = dW0.slice(),
                  dbRef = db0.slice();
                linearNative.linearBackward(x, w, dy, dx, dW, db, N, inF, outF, accumulate);
                linearNative.linearBackwardReference(
                  x,
                  w,
                  dy,
                  dxRef,
                  dWRef,
                  dbRef,
                  N,
                  inF,
                  outF,
                  accumulate,
                );
                check(`dx ${what}`, dx, dxRef, tolerance(outF));
                check(`dW ${what} accumulate=${accumulate}`, dW, dWRef, tolerance(N + 1));
                check(`db ${what} accumulate=${accumulate}`, db, dbRef, tolerance(N + 1));
              }
            }
      runtime.setNumThreads(runtime.info().maxThreads);
    });
  }

  test('a large layer (1100 -> 300, batch 64) crosses the GEMM cache blocks', () => {
    const g = new Generator(5);
    const N = 64,
      inF = 1100,
      outF = 300;
    const x = randomArray(N * inF, g),
      w = randomArray(outF * inF, g),
      b = randomArray(outF, g),
      dy = randomArray(N * outF, g);
    const y = new Float32Array(N * outF),
      yRef = new Float32Array(N * outF);
    linearNative.linearForward(x, w, b, y, N, inF, outF);
    linearNative.linearForwardReference(x, w, b, yRef, N, inF, outF);
    check('forward', y, yRef, tolerance(inF));
    const db = new Float32Array(outF),
      dbRef = new Float32Array(outF);
    const dx = new Float32Array(N * inF),
      dxRef = new Float32Array(N * inF);
    linearNative.linearBackward(x, w, dy, dx, null, db, N, inF, outF, false);
    linearNative.linearBackwardReference(x, w, dy, dxRef, null, dbRef, N, inF, outF, false);
    check('dx', dx, dxRef, tolerance(outF));
    check('db', db, dbRef, tolerance(N));
  });

  test('wrappers: shapes, skipped gradients', () => {
    const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      w = tensor([
        [1, 0, 0],
        [0, 1, 1],
      ]),
      b = tensor([0.5, -1]);
    expect(Array.from(linear(x, w, b).data)).toEqual([1.5, 4, 4.5, 10]);
    expect(linear(x, w).shape).toEqual([2, 2]);
    const grads = linearBackward(
      x,
      w,
      tensor([
        [1, 0],
        [0, 1],
      ]),
      { input: false },
    );
    expect(grads.dx).toBeNull();
    expect(Array.from(grads.dW!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(grads.db!.data)).toEqual([1, 1]);
  });
});

describe('linear arguments', () => {
  const x = tensor([[1, 2, 3]]),
    w = zeros([2, 3]);
  test('shape and rank errors name the op and the value', () => {
    expect(() => linear(x, zeros([2, 4]))).toThrow(
      /convkit.linear: expected \[out, 3\] to match x's 3 features for weight but received 'shape \[2,4\]'/,
    );
    expect(() => linear(zeros([1, 1, 3]), w)).toThrow(
      /convkit.linear: expected a 2-D tensor \[N, in\] for x/,
    );
    expect(() => linear(x, w, zeros([3]))).toThrow(/convkit.linear: expected shape \[2\] for bias/);
    expect(() => linearBackward(x, w, zeros([1, 3]))).toThrow(
      /convkit.linearBackward: expected shape \[1, 2\] for dy/,
    );
    expect(() => linear(x, 'w' as unknown as typeof w)).toThrow(TypeError);
  });
  test('the binding re-checks lengths', () => {
    expect(() =>
      linearNative.linearForward(x.data, w.data, null, new Float32Array(2), 2, 3, 2),
    ).toThrow(/convkit.linearForward: x holds 3 elements/);
    expect(() =>
      linearNative.linearBackward(
        x.data,
        w.data,
        new Float32Array(2),
        null,
        new Float32Array(5),
        null,
        1,
        3,
        2,
        false,
      ),
    ).toThrow(/dW holds 5/);
  });
});
