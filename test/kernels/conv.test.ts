// conv2d forward / backward-data / backward-weights (+ bias) against the scalar reference on
// every ISA path, over a sampled matrix of kernel sizes, strides, paddings, dilations, groups,
// batch and odd spatial / channel sizes; every path (1x1 GEMM, im2col GEMM, grouped direct) is
// forced on the cases it can run. Plus the TS wrapper's option handling and bad arguments.
import { runtime, tensor } from '../../lib';
import {
  conv2d,
  conv2dBackwardData,
  conv2dBackwardWeights,
  conv2dParams,
  Conv2dOptions,
  convNative,
} from '../../lib/kernels/conv';
import { Generator } from '../../lib/random';
import { Tensor, zeros } from '../../lib/tensor';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

interface Case {
  N: number;
  H: number;
  W: number;
  Cin: number;
  Cout: number;
  KH: number;
  KW: number;
  options: Conv2dOptions;
}

const name = (c: Case): string => JSON.stringify(c);

// Each option value appears at least once, in several combinations; sizes stay small.
const cases: Case[] = [
  { N: 1, H: 1, W: 1, Cin: 1, Cout: 1, KH: 1, KW: 1, options: {} },
  { N: 3, H: 5, W: 7, Cin: 3, Cout: 7, KH: 1, KW: 1, options: {} },
  { N: 3, H: 9, W: 11, Cin: 13, Cout: 17, KH: 1, KW: 1, options: { stride: 2 } },
  { N: 1, H: 33, W: 17, Cin: 3, Cout: 13, KH: 3, KW: 3, options: { padding: 1 } },
  { N: 3, H: 16, W: 16, Cin: 17, Cout: 64, KH: 3, KW: 3, options: { padding: 1 } },
  { N: 4, H: 12, W: 10, Cin: 64, Cout: 7, KH: 3, KW: 3, options: { padding: 1, stride: 2 } },
  { N: 1, H: 13, W: 9, Cin: 7, Cout: 3, KH: 5, KW: 5, options: { padding: [2, 1], stride: 3 } },
  { N: 3, H: 23, W: 21, Cin: 3, Cout: 17, KH: 7, KW: 7, options: { padding: 3, stride: 2 } },
  { N: 1, H: 9, W: 15, Cin: 13, Cout: 7, KH: 1, KW: 7, options: { padding: [0, 3] } },
  { N: 3, H: 15, W: 9, Cin: 7, Cout: 13, KH: 7, KW: 1, options: { padding: [3, 0] } },
  { N: 1, H: 8, W: 11, Cin: 17, Cout: 3, KH: 1, KW: 3, options: { padding: 'same' } },
  {
    N: 3,
    H: 6,
    W: 5,
    Cin: 3,
    Cout: 7,
    KH: 3,
    KW: 1,
    options: { padding: 'valid', stride: [2, 1] },
  },
  { N: 3, H: 11, W: 13, Cin: 7, Cout: 13, KH: 3, KW: 3, options: { padding: [0, 2, 1, 0] } },
  { N: 1, H: 14, W: 12, Cin: 13, Cout: 17, KH: 3, KW: 3, options: { padding: 2, dilation: 2 } },
  {
    N: 3,
    H: 10,
    W: 17,
    Cin: 3,
    Cout: 3,
    KH: 3,
    KW: 5,
    options: { padding: 'same', dilation: [2, 1] },
  },
  { N: 1, H: 7, W: 7, Cin: 64, Cout: 64, KH: 3, KW: 3, options: { padding: 1, groups: 2 } },
  {
    N: 3,
    H: 9,
    W: 8,
    Cin: 32,
    Cout: 64,
    KH: 3,
    KW: 3,
    options: { padding: 1, groups: 4, stride: 2 },
  },
  { N: 3, H: 8, W: 9, Cin: 128, Cout: 128, KH: 3, KW: 3, options: { padding: 1, groups: 32 } },
  {
    N: 1,
    H: 11,
    W: 6,
    Cin: 64,
    Cout: 32,
    KH: 3,
    KW: 3,
    options: { padding: [1, 0, 2, 1], groups: 32, stride: [2, 3] },
  },
  {
    N: 3,
    H: 13,
    W: 12,
    Cin: 32,
    Cout: 128,
    KH: 5,
    KW: 3,
    options: { padding: 2, groups: 32, dilation: 2 },
  },
  { N: 4, H: 16, W: 16, Cin: 64, Cout: 64, KH: 1, KW: 1, options: { groups: 32 } },
  { N: 1, H: 5, W: 33, Cin: 6, Cout: 9, KH: 3, KW: 3, options: { groups: 3, padding: 1 } },
  { N: 1, H: 4, W: 4, Cin: 1, Cout: 3, KH: 4, KW: 4, options: {} },
  // Wide outputs, asymmetric padding and dilation on the implicit GEMM (algorithm 3).
  {
    N: 2,
    H: 9,
    W: 20,
    Cin: 16,
    Cout: 13,
    KH: 3,
    KW: 5,
    options: { padding: [1, 2, 0, 3], dilation: [1, 2] },
  },
  { N: 1, H: 15, W: 14, Cin: 24, Cout: 33, KH: 3, KW: 3, options: { padding: 1 } },
  { N: 2, H: 5, W: 30, Cin: 16, Cout: 16, KH: 3, KW: 3, options: { padding: 1 } },
  // Backward-weights in chunks of whole output rows that skip the padding columns: 'valid'
  // padding (OW 17 of Wp 19), several images, a partial last chunk, edge tiles both ways.
  { N: 3, H: 19, W: 19, Cin: 48, Cout: 70, KH: 3, KW: 3, options: {} },
  // Output widths the implicit tile height divides (tiles follow output rows).
  { N: 2, H: 6, W: 28, Cin: 16, Cout: 32, KH: 3, KW: 3, options: { padding: 1 } },
  { N: 1, H: 4, W: 28, Cin: 19, Cout: 16, KH: 3, KW: 3, options: { padding: 1 } },
  // 1x1 over several 256-row chunks with edge tiles (in-place backward-weights).
  { N: 2, H: 17, W: 16, Cin: 40, Cout: 33, KH: 1, KW: 1, options: {} },
  // ... and the transposed orientation (dW^T pads 256 less than dW pads 64).
  { N: 1, H: 20, W: 13, Cin: 256, Cout: 64, KH: 1, KW: 1, options: {} },
  // Few input channels: the direct stem kernel (automatic, AVX2 / AVX-512): several output
  // channel pairs with a partial last vector, strips past the row end, asymmetric padding.
  {
    N: 2,
    H: 9,
    W: 21,
    Cin: 3,
    Cout: 70,
    KH: 3,
    KW: 3,
    options: { stride: 2, padding: [1, 0, 2, 1] },
  },
  // Stems whose output channels fill whole tiles: backward-weights on the AVX-512 tiles over
  // im2col chunks (3x3/2 to 32 as MobileNet / EfficientNet; 7x7/2 to 64 as ResNet, taps
  // 147 = 10.5 tiles of 14), several 512-row chunks and a partial one.
  { N: 2, H: 45, W: 37, Cin: 3, Cout: 32, KH: 3, KW: 3, options: { stride: 2, padding: 1 } },
  { N: 1, H: 61, W: 50, Cin: 3, Cout: 64, KH: 7, KW: 7, options: { stride: 2, padding: 3 } },
  // Strided backward-data over small output images: whole images in chunks of ~1024 rows
  // (9 images of 11x11: two chunks, the second partial), scattered into dx in parallel.
  { N: 9, H: 22, W: 21, Cin: 5, Cout: 6, KH: 3, KW: 3, options: { padding: 1, stride: 2 } },
  // A dW of 512K+ floats: the threads split its columns instead of the rows (one shared dW).
  { N: 1, H: 3, W: 5, Cin: 1024, Cout: 520, KH: 1, KW: 1, options: {} },
  // A dW of 2M+ floats (8 MB): backward-weights as one GEMM with dY^T packed (automatic) and on
  // the cache-blocked im2col GEMM (forced); input rows 8 KiB apart (the GEMM copies them to a
  // short stride).
  { N: 1, H: 3, W: 5, Cin: 2048, Cout: 1024, KH: 1, KW: 1, options: {} },
  // 1024-4096 rows and a dW of 64K+ floats: one GEMM too (automatic), odd sizes.
  { N: 1, H: 37, W: 33, Cin: 520, Cout: 129, KH: 1, KW: 1, options: {} },
  // ... over 2048+ rows: the threads split the rows, each into its own dW, summed at the end.
  { N: 2, H: 37, W: 29, Cin: 257, Cout: 260, KH: 1, KW: 1, options: {} },
  // Strided 1x1 whose sampled pixels go to the stride-1 paths (automatic): over 1024 of them
  // (the in-place microkernel on AVX-512), with a partial last row tile.
  { N: 2, H: 50, W: 45, Cin: 13, Cout: 17, KH: 1, KW: 1, options: { stride: 2 } },
  { N: 3, H: 20, W: 15, Cin: 7, Cout: 3, KH: 1, KW: 1, options: { stride: [2, 3] } },
  // 4 in / 4 out channels per group: the rotation kernels ("grouped-rotate"). Channel counts
  // that leave a partial last vector (12, 20, 36 on 16 / 8 lanes), widths that exercise the
  // 8-, 4- and 1-pixel strips, every compile-time (KW, stride, dilation) instantiation, the
  // runtime fallback (KW 5, KW 3 with stride 3), negative mirrored backward-data padding
  // ('valid'), and stride 2 (backward-data on the expanded-row kernel).
  { N: 1, H: 1, W: 1, Cin: 12, Cout: 12, KH: 3, KW: 3, options: { padding: 1, groups: 3 } },
  { N: 3, H: 5, W: 13, Cin: 20, Cout: 20, KH: 3, KW: 3, options: { padding: 1, groups: 5 } },
  { N: 1, H: 13, W: 7, Cin: 64, Cout: 64, KH: 3, KW: 3, options: { padding: 1, groups: 16 } },
  {
    N: 1,
    H: 7,
    W: 13,
    Cin: 64,
    Cout: 64,
    KH: 3,
    KW: 3,
    options: { padding: [1, 0, 2, 1], groups: 16, stride: 2 },
  },
  {
    N: 3,
    H: 13,
    W: 5,
    Cin: 36,
    Cout: 36,
    KH: 3,
    KW: 3,
    options: { padding: [2, 1, 0, 2], groups: 9, dilation: 2 },
  },
  {
    N: 1,
    H: 9,
    W: 11,
    Cin: 32,
    Cout: 32,
    KH: 3,
    KW: 5,
    options: { padding: [1, 2], groups: 8, dilation: [2, 1] },
  },
  {
    N: 3,
    H: 5,
    W: 17,
    Cin: 16,
    Cout: 16,
    KH: 3,
    KW: 3,
    options: { padding: [0, 2, 1, 0], groups: 4, stride: [1, 3] },
  },
  { N: 3, H: 7, W: 9, Cin: 8, Cout: 8, KH: 3, KW: 3, options: { padding: 'valid', groups: 2 } },
  { N: 3, H: 5, W: 7, Cin: 32, Cout: 32, KH: 1, KW: 1, options: { groups: 8, stride: 2 } },
  { N: 1, H: 5, W: 13, Cin: 20, Cout: 20, KH: 1, KW: 1, options: { groups: 5 } },
  { N: 3, H: 13, W: 20, Cin: 128, Cout: 128, KH: 3, KW: 3, options: { padding: 1, groups: 32 } },
  // 8 and 16 channels per group: the rotation kernels in blocks of 4 rotations (AVX2: 8 only;
  // 16 there, and every size on generic, run the expanded rows when forced). One, three and
  // five groups (partial last vector on 16 lanes at 24 / 40 channels), batch 1 and 2,
  // non-square images whose widths take the 8-, 4- and 1-pixel strips, strides 1 and 2, padding
  // 0 / 1 / 2, dilation 2, the runtime fallback (KW 5) and 1x1 stride 2.
  ...[8, 16].flatMap((G) =>
    (
      [
        // [N, H, W, groups, KW, options]; `groups` x G channels (one group: a dense conv)
        [1, 7, 5, 1, 3, { padding: 1 }],
        [2, 13, 9, 3, 3, { padding: 1 }],
        [2, 13, 9, 5, 3, { padding: 1, stride: 2 }],
        [1, 13, 9, 3, 3, { padding: 2, dilation: 2 }],
        [2, 7, 5, 5, 3, {}],
        [1, 9, 11, 3, 5, { padding: [1, 2], dilation: [2, 1] }],
      ] as Array<[number, number, number, number, number, Conv2dOptions]>
    ).map(([N, H, W, groups, KW, options]) => ({
      N,
      H,
      W,
      Cin: groups * G,
      Cout: groups * G,
      KH: 3,
      KW,
      options: groups > 1 ? { ...options, groups } : options,
    })),
  ),
  { N: 2, H: 5, W: 7, Cin: 48, Cout: 48, KH: 1, KW: 1, options: { groups: 3, stride: 2 } },
  // Winograd F(4x4, 3x3) (algorithm 4): partial tiles at the right and bottom edges, odd
  // channel counts (vector tails), asymmetric and 'valid' padding, several forward blocks,
  // and a dU too large for per-thread partial sums (176 x 176 channels).
  { N: 2, H: 13, W: 11, Cin: 33, Cout: 17, KH: 3, KW: 3, options: { padding: 1 } },
  { N: 3, H: 18, W: 9, Cin: 32, Cout: 48, KH: 3, KW: 3, options: { padding: [0, 2, 2, 1] } },
  { N: 2, H: 9, W: 14, Cin: 40, Cout: 35, KH: 3, KW: 3, options: { padding: 'valid' } },
  { N: 1, H: 6, W: 7, Cin: 176, Cout: 176, KH: 3, KW: 3, options: { padding: 1 } },
  // 64K+ weight floats at stride 2: the weight reorder and dW's partial sums on all threads.
  { N: 2, H: 9, W: 7, Cin: 80, Cout: 96, KH: 3, KW: 3, options: { padding: 1, stride: 2 } },
  // One group of 4 x 4 (dense): rotation kernel when the grouped path is forced (algorithm 2).
  { N: 1, H: 6, W: 5, Cin: 4, Cout: 4, KH: 3, KW: 3, options: { padding: 1 } },
];

function run(c: Case, isaSeed: number): void {
  const g = new Generator(isaSeed);
  const groups = c.options.groups ?? 1;
  const wShape = [c.Cout, c.Cin / groups, c.KH, c.KW];
  const { params, outShape } = conv2dParams([c.N, c.H, c.W, c.Cin], wShape, c.options);
  const xSize = c.N * c.H * c.W * c.Cin,
    wSize = wShape.reduce((a, b) => a * b, 1);
  const ySize = outShape.reduce((a, b) => a * b, 1);
  const x = randomArray(xSize, g),
    w = randomArray(wSize, g),
    dy = randomArray(ySize, g);
  const bias = randomArray(c.Cout, g),
    residual = randomArray(ySize, g);
  const cig = c.Cin / groups,
    cog = c.Cout / groups;
  const algorithms = [0, 1, 3, 4];
  if (cig <= 16 && cog <= 16) algorithms.push(2);
  // float32 sums of R products of values in [-1, 1]: rounding error grows at most like
  // R * 2^-24 relative to the magnitude (worst case; blocked sums grow slower); 4x that + floor.
  // Winograd's transforms multiply and divide by up to 8 and 24 on the way, which amplifies the
  // rounding (measured 1-5x R * 2^-24 on these cases): 16x, and a larger floor.
  const tol = (R: number, algorithm: number): number =>
    convNative.conv2dAlgorithm(params, algorithm) === 'winograd'
      ? 16 * R * 2 ** -24 + 1e-5
      : 4 * R * 2 ** -24 + 2e-6;
  const check = (
    what: string,
    got: Float32Array,
    want: Float32Array,
    R: number,
    algorithm: number,
  ): void => {
    const r = maxRelativeError(got, want);
    if (!(r.error <= tol(R, algorithm)))
      throw new Error(
        `${what} algorithm ${algorithm} ${name(c)}: error ${r.error} at ${r.index} > ${tol(R, algorithm)} (${got[r.index]} vs ${want[r.index]})`,
      );
  };
  const activation = (c.H + c.W) % 3; // vary the fused epilogue across cases
  const wantY = new Float32Array(ySize);
  convNative.conv2dForwardReference(params, x, w, bias, residual, activation, wantY);
  const wantPlain = new Float32Array(ySize);
  convNative.conv2dForwardReference(params, x, w, null, null, 0, wantPlain);
  const wantDx = new Float32Array(xSize);
  convNative.conv2dBackwardDataReference(params, dy, w, wantDx);
  const wantDw = new Float32Array(wSize),
    wantDb = new Float32Array(c.Cout);
  convNative.conv2dBackwardWeightsReference(params, x, dy, wantDw, wantDb);
  for (const algorithm of algorithms) {
    const y = new Float32Array(ySize).fill(NaN);
    convNative.conv2dForward(params, x, w, bias, residual, activation, y, algorithm);
    check('forward+epilogue', y, wantY, cig * c.KH * c.KW + 2, algorithm);
    const yPlain = new Float32Array(ySize).fill(NaN);
    convNative.conv2dForward(params, x, w, null, null, 0, yPlain, algorithm);
    check('forward', yPlain, wantPlain, cig * c.KH * c.KW, algorithm);
    const dx = new Float32Array(xSize).fill(NaN);
    convNative.conv2dBackwardData(params, dy, w, dx, algorithm);
    check('backwardData', dx, wantDx, cog * c.KH * c.KW, algorithm);
    const dw = new Float32Array(wSize).fill(NaN),
      db = new Float32Array(c.Cout).fill(NaN);
    convNative.conv2dBackwardWeights(params, x, dy, dw, db, algorithm);
    check('backwardWeights', dw, wantDw, ySize / c.Cout, algorithm);
    check('backwardBias', db, wantDb, ySize / c.Cout, algorithm);
  }
}

describeEachIsa('conv2dBackwardData adding into a gradient (accumulateInto)', () => {
  test('equals the plain backward-data plus what the gradient held: 1x1 (GEMM beta 1) and 3x3', () => {
    const g = new Generator(77);
    for (const [Cin, Cout, K, options] of [
      [17, 33, 1, {}],
      [24, 16, 3, { padding: 1 }],
      [16, 16, 3, { padding: 1, stride: 2 }],
    ] as Array<[number, number, number, Conv2dOptions]>) {
      const inputShape = [2, 9, 7, Cin];
      const w = tensor(randomArray(Cout * Cin * K * K, g), [Cout, Cin, K, K]);
      const probe = conv2d(zeros(inputShape), w, null, options);
      const dy = tensor(randomArray(probe.size, g), probe.shape);
      const plain = conv2dBackwardData(dy, w, inputShape, options);
      const held = tensor(randomArray(plain.size, g), inputShape);
      const want = held.data.map((v, i) => v + plain.data[i]);
      const got = conv2dBackwardData(dy, w, inputShape, options, 'auto', held);
      expect(got).toBe(held);
      expect(maxRelativeError(got.data, want).error).toBeLessThan(1e-5);
    }
    const w = tensor(new Float32Array(16), [4, 4, 1, 1]);
    expect(() =>
      conv2dBackwardData(zeros([1, 2, 2, 4]), w, [1, 2, 2, 4], {}, 'auto', zeros([1, 2, 2, 3])),
    ).toThrow(/accumulateInto/);
  });
});

describeEachIsa('conv2d vs reference', (isa) => {
  for (const threads of [1, 2]) {
    test(`sampled matrix, ${threads} thread(s)`, () => {
      runtime.setNumThreads(threads);
      try {
        cases.forEach((c, i) => run(c, 100 * i + isa.length));
      } finally {
        runtime.setNumThreads(runtime.info().maxThreads);
      }
    });
  }

  test('stem backward-weights: 1-4 input channels, Cout a multiple of 32 (the AVX-512 stem kernel)', () => {
    // Kernel rows of KW * Cin <= 14 taps read in place from the padded input; odd sizes, the
    // last row of the last image (the tile reads past it), strides 1-3, padding 0-2.
    const stems: Case[] = [
      { N: 2, H: 17, W: 19, Cin: 3, Cout: 32, KH: 3, KW: 3, options: { stride: 2, padding: 1 } },
      { N: 1, H: 9, W: 7, Cin: 3, Cout: 64, KH: 3, KW: 3, options: { padding: 1 } },
      { N: 3, H: 15, W: 13, Cin: 4, Cout: 32, KH: 3, KW: 3, options: { stride: 2, padding: 1 } },
      { N: 2, H: 11, W: 12, Cin: 1, Cout: 32, KH: 5, KW: 5, options: { stride: 2, padding: 2 } },
      { N: 1, H: 10, W: 13, Cin: 2, Cout: 96, KH: 3, KW: 3, options: { stride: 3 } },
      { N: 1, H: 1, W: 1, Cin: 3, Cout: 32, KH: 3, KW: 3, options: { padding: 1 } },
    ];
    stems.forEach((c, i) => run(c, 900 + i));
  });

  test('the path each shape takes', () => {
    const p1 = conv2dParams([2, 8, 8, 16], [32, 16, 1, 1]).params;
    expect(convNative.conv2dAlgorithm(p1)).toBe('gemm-1x1');
    // Stride 1, groups 1, 16+ channels, 14+ wide: implicit GEMM on AVX-512 (its microkernels),
    // else im2col.
    const implicit = isa === 'avx512' ? 'implicit-gemm' : 'im2col-gemm';
    const p3 = conv2dParams([2, 8, 8, 16], [32, 16, 3, 3], { padding: 1 }).params;
    expect(convNative.conv2dAlgorithm(p3)).toBe('im2col-gemm');
    const p16 = conv2dParams([2, 16, 16, 16], [32, 16, 3, 3], { padding: 1 }).params;
    expect(convNative.conv2dAlgorithm(p16)).toBe(implicit);
    expect(convNative.conv2dAlgorithm(p16, 1)).toBe('im2col-gemm');
    const p7 = conv2dParams([2, 8, 8, 7], [32, 7, 3, 3], { padding: 1 }).params;
    expect(convNative.conv2dAlgorithm(p7)).toBe('im2col-gemm');
    // 4x4-channel groups: the rotation kernels on AVX2 / AVX-512, the expanded-row ones else.
    const rotate = isa === 'generic' ? 'grouped-direct' : 'grouped-rotate';
    const pg = conv2dParams([2, 8, 8, 128], [128, 4, 3, 3], { padding: 1, groups: 32 }).params;
    expect(convNative.conv2dAlgorithm(pg)).toBe(rotate);
    expect(convNative.conv2dAlgorithm(pg, 2)).toBe(rotate);
    const pg2 = conv2dParams([1, 7, 5, 20], [20, 4, 3, 3], { stride: 2, groups: 5 }).params;
    expect(convNative.conv2dAlgorithm(pg2)).toBe(rotate);
    const p4 = conv2dParams([1, 6, 5, 4], [4, 4, 3, 3], { padding: 1 }).params;
    expect(convNative.conv2dAlgorithm(p4, 2)).toBe(rotate);
    const pg8 = conv2dParams([2, 8, 8, 64], [128, 4, 3, 3], { padding: 1, groups: 16 }).params;
    expect(convNative.conv2dAlgorithm(pg8)).toBe('grouped-direct');
    // 8 and 16 channels per group (ResNeXt-50's stages 2 and 3): the rotation kernels where the
    // vector holds a group (8: AVX2 and AVX-512, 16: AVX-512), else the expanded rows up to 8
    // and the grouped GEMM at 16; forced (2): rotation kernel or expanded rows.
    const pg8r = conv2dParams([2, 8, 8, 256], [256, 8, 3, 3], { padding: 1, groups: 32 }).params;
    expect(convNative.conv2dAlgorithm(pg8r)).toBe(rotate);
    expect(convNative.conv2dAlgorithm(pg8r, 2)).toBe(rotate);
    const pg8s2 = conv2dParams([2, 9, 7, 24], [24, 8, 3, 3], { stride: 2, groups: 3 }).params;
    expect(convNative.conv2dAlgorithm(pg8s2)).toBe(rotate);
    const pg16 = conv2dParams([2, 8, 8, 512], [512, 16, 3, 3], { padding: 1, groups: 32 }).params;
    expect(convNative.conv2dAlgorithm(pg16)).toBe(
      isa === 'avx512' ? 'grouped-rotate' : 'im2col-gemm',
    );
    expect(convNative.conv2dAlgorithm(pg16, 2)).toBe(
      isa === 'avx512' ? 'grouped-rotate' : 'grouped-direct',
    );
    const pg16d = conv2dParams([1, 6, 5, 16], [16, 16, 3, 3], { padding: 1 }).params;
    expect(convNative.conv2dAlgorithm(pg16d, 2)).toBe(
      isa === 'avx512' ? 'grouped-rotate' : 'grouped-direct',
    );
    // Cin != Cout, or a group width without a rotation kernel: not rotated.
    const pg816 = conv2dParams([2, 8, 8, 256], [512, 8, 3, 3], { padding: 1, groups: 32 }).params;
    expect(convNative.conv2dAlgorithm(pg816, 2)).toBe('grouped-direct');
    const pg12 = conv2dParams([2, 8, 8, 36], [36, 12, 3, 3], { padding: 1, groups: 3 }).params;
    expect(convNative.conv2dAlgorithm(pg12, 2)).toBe('grouped-direct');
    expect(convNative.conv2dAlgorithm(pg, 1)).toBe('im2col-gemm');
    const pw = conv2dParams([2, 8, 8, 128], [128, 32, 3, 3], { padding: 1, groups: 4 }).params;
    expect(convNative.conv2dAlgorithm(pw)).toBe('im2col-gemm');
    // Forced implicit: only where it applies (stride 1, on AVX-512).
    expect(convNative.conv2dAlgorithm(p3, 3)).toBe(implicit);
    const ps = conv2dParams([2, 8, 8, 16], [32, 16, 3, 3], { padding: 1, stride: 2 }).params;
    expect(convNative.conv2dAlgorithm(ps, 3)).toBe('im2col-gemm');
    expect(convNative.conv2dAlgorithm(pg, 3)).toBe(rotate);
    // Up to 4 input channels: the direct stem kernel (forward) where the ISA has one.
    const stem = conv2dParams([2, 16, 16, 3], [32, 3, 7, 7], { stride: 2, padding: 3 }).params;
    expect(convNative.conv2dAlgorithm(stem)).toBe(
      isa === 'generic' ? 'im2col-gemm' : 'stem-direct',
    );
    expect(convNative.conv2dAlgorithm(stem, 1)).toBe('im2col-gemm');
    // Winograd: dense 3x3 stride 1 with 32+ channels each side and 32+ output tiles of 4x4;
    // forced (4) wherever it applies, else the automatic choice.
    const pw32 = conv2dParams([2, 16, 16, 32], [32, 32, 3, 3], { padding: 1 }).params;
    expect(convNative.conv2dAlgorithm(pw32)).toBe('winograd');
    const pfew = conv2dParams([1, 7, 7, 512], [512, 512, 3, 3], { padding: 1 }).params;
    expect(convNative.conv2dAlgorithm(pfew)).not.toBe('winograd');
    // 64 tiles and a 38 MB transformed weight (all tiles at once): Winograd too.
    const pbig = conv2dParams([16, 7, 7, 512], [512, 512, 3, 3], { padding: 1 }).params;
    expect(convNative.conv2dAlgorithm(pbig)).toBe('winograd');
    expect(convNative.conv2dAlgorithm(pfew, 4)).toBe('winograd');
    expect(convNative.conv2dAlgorithm(p3, 4)).toBe('winograd');
    expect(convNative.conv2dAlgorithm(ps, 4)).toBe('im2col-gemm');
    const pwide = conv2dParams([2, 16, 16, 32], [32, 32, 3, 3], { padding: 3 }).params;
    expect(convNative.conv2dAlgorithm(pwide, 4)).not.toBe('winograd');
  });

  test('automatic backward-weights: few output channels on few tiles skip Winograd on AVX-512', () => {
    // Under 64 output channels and 512 tiles of 4x4 (DenseNet's 3x3 128 -> 32 at 14x14 and
    // 7x7) the implicit GEMM computes the weight gradient where it applies, even below 14
    // wide; otherwise Winograd. Each path is deterministic, so the automatic result equals
    // the forced path's bit for bit.
    const weightsBy = (c: Case, algorithm: number): Float32Array => {
      const { params } = conv2dParams([c.N, c.H, c.W, c.Cin], [c.Cout, c.Cin, 3, 3], c.options);
      const x = randomArray(c.N * c.H * c.W * c.Cin, new Generator(41));
      const dy = randomArray(c.N * c.H * c.W * c.Cout, new Generator(42));
      const dw = new Float32Array(c.Cout * c.Cin * 9);
      convNative.conv2dBackwardWeights(params, x, dy, dw, null, algorithm);
      return dw;
    };
    // 4 * 3 * 3 = 36 tiles (Winograd's automatic minimum is 32), 11 wide.
    const narrow: Case = {
      N: 4,
      H: 9,
      W: 11,
      Cin: 32,
      Cout: 32,
      KH: 3,
      KW: 3,
      options: { padding: 1 },
    };
    const wide: Case = { ...narrow, Cout: 64 };
    const manyTiles: Case = { ...narrow, N: 2, H: 64, W: 64 }; // 2 * 16 * 16 = 512 tiles
    const auto = weightsBy(narrow, 0);
    expect(auto).toEqual(weightsBy(narrow, isa === 'avx512' ? 3 : 4));
    expect(auto).not.toEqual(weightsBy(narrow, isa === 'avx512' ? 4 : 3));
    expect(weightsBy(wide, 0)).toEqual(weightsBy(wide, 4));
    expect(weightsBy(manyTiles, 0)).toEqual(weightsBy(manyTiles, 4));
  });
});

describe('conv2d wrapper', () => {
  const x = tensor(randomArray(2 * 5 * 6 * 4, new Generator(7)), [2, 5, 6, 4]);
  const w = tensor(randomArray(8 * 4 * 3 * 3, new Generator(8)), [8, 4, 3, 3]);

  test('output shapes follow PyTorch (same, valid, asymmetric, stride, dilation)', () => {
    expect(conv2d(x, w, null, { padding: 'same' }).shape).toEqual([2, 5, 6, 8]);
    expect(conv2d(x, w, null, { padding: 'valid' }).shape).toEqual([2, 3, 4, 8]);
    expect(conv2d(x, w, null, { padding: [1, 0, 2, 1], stride: 2 }).shape).toEqual([2, 2, 4, 8]);
    expect(conv2d(x, w, null, { padding: 2, dilation: 2 }).shape).toEqual([2, 5, 6, 8]);
    const even = tensor(randomArray(8 * 4 * 2 * 4, new Generator(9)), [8, 4, 2, 4]);
    // 'same' with an even kernel pads the extra row / column at the bottom / right.
    const y = conv2d(x, even, null, { padding: 'same' });
    const want = conv2d(x, even, null, { padding: [0, 1, 1, 2] });
    expect(Array.from(y.data)).toEqual(Array.from(want.data));
  });

  test('fused epilogue equals separate bias, residual and relu', () => {
    const b = tensor([0.5, -0.5, 1, -1, 0.25, -0.25, 2, -2]);
    const plain = conv2d(x, w, null, { padding: 1 });
    const residual = tensor(randomArray(plain.size, new Generator(3)), plain.shape);
    const fused = conv2d(x, w, b, { padding: 1 }, { residual, activation: 'relu6' });
    plain.data.forEach((v, i) => {
      const want = Math.min(6, Math.max(0, v + b.data[i % 8] + residual.data[i]));
      expect(Math.abs(fused.data[i] - want)).toBeLessThan(1e-5);
    });
  });

  test('backward wrappers match the reference', () => {
    const opts: Conv2dOptions = { padding: 1, stride: 2 };
    const y = conv2d(x, w, null, opts);
    const dy = tensor(randomArray(y.size, new Generator(4)), y.shape);
    const dx = conv2dBackwardData(dy, w, x.shape, opts);
    const { params } = conv2dParams(x.shape, w.shape, opts);
    const wantDx = new Float32Array(x.size);
    convNative.conv2dBackwardDataReference(params, dy.data, w.data, wantDx);
    expect(maxRelativeError(dx.data, wantDx).error).toBeLessThan(1e-5);
    const grads = conv2dBackwardWeights(x, dy, w.shape, opts, true);
    const wantDw = new Float32Array(w.size),
      wantDb = new Float32Array(8);
    convNative.conv2dBackwardWeightsReference(params, x.data, dy.data, wantDw, wantDb);
    expect(maxRelativeError(grads.weight.data, wantDw).error).toBeLessThan(1e-5);
    expect(grads.bias).not.toBeNull();
    expect(maxRelativeError((grads.bias as Tensor).data, wantDb).error).toBeLessThan(1e-5);
  });

  test('bad arguments throw TypeError / RangeError naming the op and the value', () => {
    const bad = (
      f: () => unknown,
      type: typeof TypeError | typeof RangeError,
      pattern: RegExp,
    ): void => {
      // Compare by name: native errors come from the main realm, not jest's sandbox.
      let error: unknown = null;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect((error as Error | null)?.name).toBe(type.name);
      expect((error as Error).message).toMatch(pattern);
    };
    bad(() => conv2d(x.data as unknown as Tensor, w), TypeError, /convkit\.conv2d: .*x/);
    bad(() => conv2d(x.reshape([10, 6, 4]), w), RangeError, /conv2d.*x.*shape \[10,6,4\]/);
    bad(
      () => conv2d(x, tensor(randomArray(8 * 3 * 9, new Generator(1)), [8, 3, 3, 3])),
      RangeError,
      /conv2d.*weight/,
    );
    bad(() => conv2d(x, w, null, { groups: 3 }), RangeError, /conv2d.*groups.*3/);
    bad(
      () => conv2d(x, tensor(randomArray(8 * 2 * 9, new Generator(1)), [8, 2, 3, 3])),
      RangeError,
      /conv2d.*weight.*\[8,2,3,3\]/,
    );
    bad(
      () =>
        conv2d(x, tensor(randomArray(6 * 1 * 9, new Generator(1)), [6, 1, 3, 3]), null, {
          groups: 4,
        }),
      RangeError,
      /Cout = 6/,
    );
    bad(() => conv2d(x, w, null, { stride: 0 }), RangeError, /conv2d.*stride.*0/);
    bad(() => conv2d(x, w, null, { padding: -1 }), RangeError, /conv2d.*padding.*-1/);
    bad(
      () => conv2d(x, w, null, { padding: 'full' as 'same' }),
      RangeError,
      /conv2d.*padding.*'full'/,
    );
    bad(() => conv2d(x, w, null, { padding: 'same', stride: 2 }), RangeError, /conv2d.*same/);
    bad(() => conv2d(x, w, null, { dilation: 3 }), RangeError, /conv2d.*larger|padded input/);
    bad(
      () => conv2d(x, w, null, { stride: '2' as unknown as number }),
      TypeError,
      /conv2d.*stride.*'2'/,
    );
    bad(() => conv2d(x, w, tensor([1, 2])), RangeError, /conv2d.*bias/);
    bad(
      () => conv2d(x, w, null, {}, { activation: 'gelu' as 'relu' }),
      RangeError,
      /conv2d.*activation/,
    );
    bad(
      () => conv2dBackwardData(zeros([2, 5, 6, 7]), w, x.shape, { padding: 1 }),
      RangeError,
      /conv2dBackwardData.*dy/,
    );
    bad(
      () => conv2dBackwardWeights(x, zeros([2, 5, 6, 8]), [8, 4, 3], { padding: 1 }),
      RangeError,
      /conv2dBackwardWeights.*weightShape/,
    );
    // The native layer re-checks everything (a caller that bypasses the wrapper).
    const p = conv2dParams(x.shape, w.shape, { padding: 1 }).params;
    const y = new Float32Array(2 * 5 * 6 * 8);
    bad(
      () => convNative.conv2dForward(p, x.data.subarray(1), w.data, null, null, 0, y),
      RangeError,
      /conv2dForward.*x/,
    );
    bad(
      () =>
        convNative.conv2dForward(
          [...p.slice(0, 7), 0, ...p.slice(8)],
          x.data,
          w.data,
          null,
          null,
          0,
          y,
        ),
      RangeError,
      /conv2dForward.*strideH/,
    );
    bad(
      () => convNative.conv2dForward([...p.slice(0, 15), 3], x.data, w.data, null, null, 0, y),
      RangeError,
      /conv2dForward.*groups = 3/,
    );
    bad(
      () =>
        convNative.conv2dForward(
          [...p.slice(0, 9), -1, ...p.slice(10)],
          x.data,
          w.data,
          null,
          null,
          0,
          y,
        ),
      RangeError,
      /conv2dForward.*padTop/,
    );
    bad(
      () => convNative.conv2dForward(p.slice(0, 15), x.data, w.data, null, null, 0, y),
      RangeError,
      /conv2dForward.*16/,
    );
    bad(
      () =>
        convNative.conv2dForward(
          [1, 2, 2, 4, 8, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1],
          x.data,
          w.data,
          null,
          null,
          0,
          y,
        ),
      RangeError,
      /conv2dForward.*larger/,
    );
    bad(
      () => convNative.conv2dBackwardWeights(p, x.data, y, new Float32Array(3), null),
      RangeError,
      /conv2dBackwardWeights.*dw/,
    );
    bad(
      () => convNative.conv2dForward(p, x.data, w.data, null, null, 0, y, 5),
      RangeError,
      /conv2dForward.*algorithm/,
    );
  });
});
