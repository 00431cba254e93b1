// Winograd F(4x4, 3x3) paths the reference matrix in conv.test.ts is too small to reach: the
// forward / backward-data with 4 MB+ of transformed weight (all tiles at once, in chunks) and
// the weight gradient over several blocks of tiles per thread, each against the GEMM path
// (itself checked against the scalar reference there) on every ISA path.
import { runtime } from '../../lib';
import { conv2dParams, convNative } from '../../lib/kernels/conv';
import { Generator } from '../../lib/random';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

describeEachIsa('Winograd on large problems vs the GEMM', () => {
  test('Winograd with 4 MB+ of transformed weight: all tiles at once, in two chunks, equals the GEMM', () => {
    // 176 x 176 channels (U = 4.5 MB); 3 x 15 x 16 = 720 tiles of 4x4 (the last row and
    // column partial), 36.5 MB of V and M: two chunks of 360 tiles. The scalar reference would
    // take seconds here; the GEMM path is checked against it above.
    const g = new Generator(311);
    const shape = [3, 59, 61, 176];
    const { params, outShape } = conv2dParams(shape, [176, 176, 3, 3], { padding: 1 });
    const x = randomArray(3 * 59 * 61 * 176, g);
    const w = randomArray(176 * 176 * 9, g);
    const bias = randomArray(176, g);
    const ySize = outShape.reduce((a, b) => a * b, 1);
    const residual = randomArray(ySize, g);
    const dy = randomArray(ySize, g);
    const forward = (algorithm: number): Float32Array => {
      const y = new Float32Array(ySize).fill(NaN);
      convNative.conv2dForward(params, x, w, bias, residual, 1, y, algorithm);
      return y;
    };
    const backwardData = (algorithm: number): Float32Array => {
      const dx = new Float32Array(x.length).fill(NaN);
      convNative.conv2dBackwardData(params, dy, w, dx, algorithm);
      return dx;
    };
    // Winograd's rounding on 176 * 9 products of values in [-1, 1] (see tol above).
    const bound = 16 * 176 * 9 * 2 ** -24 + 1e-5;
    expect(maxRelativeError(forward(4), forward(1)).error).toBeLessThanOrEqual(bound);
    expect(maxRelativeError(backwardData(4), backwardData(1)).error).toBeLessThanOrEqual(bound);
  });

  test('Winograd backward-weights over several blocks of tiles per thread equals the GEMM', () => {
    // 32 -> 32 channels: blocks of ~227 tiles; 2 x 16 x 17 = 544 tiles (the last column
    // partial) give each thread two or three blocks, summed into its partial dU.
    const g = new Generator(312);
    const { params, outShape } = conv2dParams([2, 64, 67, 32], [32, 32, 3, 3], { padding: 1 });
    const x = randomArray(2 * 64 * 67 * 32, g);
    const dy = randomArray(
      outShape.reduce((a, b) => a * b, 1),
      g,
    );
    const weights = (algorithm: number): Float32Array => {
      const dw = new Float32Array(32 * 32 * 9).fill(NaN);
      convNative.conv2dBackwardWeights(params, x, dy, dw, null, algorithm);
      return dw;
    };
    const bound = 16 * 2 * 64 * 67 * 2 ** -24 + 1e-5;
    for (const threads of [1, 2]) {
      runtime.setNumThreads(threads);
      try {
        expect(maxRelativeError(weights(4), weights(1)).error).toBeLessThanOrEqual(bound);
      } finally {
        runtime.setNumThreads(runtime.info().maxThreads);
      }
    }
  });
});
