// Depthwise convolution (forward with bias/relu/relu6, backward data, backward weights + bias)
// against the scalar reference on every ISA path: kernel sizes 3/5/7 and 1x3/3x1, strides 1-3,
// symmetric and asymmetric padding, dilation, channel multiplier, channel counts around the
// 16- and 8-lane tails, odd and non-square images; then the argument checks.
import { runtime, Tensor, tensor } from '../../lib';
import {
  depthwiseConv2d,
  depthwiseConv2dBackwardData,
  depthwiseConv2dBackwardWeights,
  depthwiseNative,
} from '../../lib/kernels/depthwise';
import { Generator } from '../../lib/random';
import { describeEachIsa, maxRelativeError, randomArray } from '../helpers';

interface Case {
  N: number;
  H: number;
  W: number;
  C: number;
  m: number;
  KH: number;
  KW: number;
  stride: [number, number];
  pad: [number, number, number, number]; // top, bottom, left, right
  dilation: [number, number];
  bias: boolean;
  activation: number; // 0 none, 1 relu, 2 relu6
}

function outSize(size: number, pads: number, k: number, stride: number, dilation: number): number {
  return Math.floor((size + pads - dilation * (k - 1) - 1) / stride) + 1;
}

/** Grows H / W to the smallest size the dilated kernel fits (when the case asks for less). */
function fit(c: Case): Case {
  const H = Math.max(c.H, c.dilation[0] * (c.KH - 1) + 1 - c.pad[0] - c.pad[1]);
  const W = Math.max(c.W, c.dilation[1] * (c.KW - 1) + 1 - c.pad[2] - c.pad[3]);
  return { ...c, H, W };
}

type Check = { pass: string; error: number; index: number; tolerance: number };

function runCase(c: Case, seed: number): Check[] {
  const g = new Generator(seed);
  const Cout = c.C * c.m;
  const OH = outSize(c.H, c.pad[0] + c.pad[1], c.KH, c.stride[0], c.dilation[0]);
  const OW = outSize(c.W, c.pad[2] + c.pad[3], c.KW, c.stride[1], c.dilation[1]);
  const geometry = [
    c.N,
    c.H,
    c.W,
    c.C,
    c.m,
    c.KH,
    c.KW,
    c.stride[0],
    c.stride[1],
    c.pad[0],
    c.pad[1],
    c.pad[2],
    c.pad[3],
    c.dilation[0],
    c.dilation[1],
  ] as const;
  const x = randomArray(c.N * c.H * c.W * c.C, g);
  const w = randomArray(Cout * c.KH * c.KW, g);
  const b = c.bias ? randomArray(Cout, g) : null;
  const dy = randomArray(c.N * OH * OW * Cout, g);
  const ySize = c.N * OH * OW * Cout;
  // Outputs start as NaN: every element must be written.
  const nan = (n: number): Float32Array => new Float32Array(n).fill(NaN);
  const y = nan(ySize),
    yRef = nan(ySize);
  depthwiseNative.depthwiseConv2d(...geometry, x, w, b, c.activation, y);
  depthwiseNative.depthwiseConv2dReference(...geometry, x, w, b, c.activation, yRef);
  const dx = nan(x.length),
    dxRef = nan(x.length);
  depthwiseNative.depthwiseConv2dBackwardData(...geometry, dy, w, dx);
  depthwiseNative.depthwiseConv2dBackwardDataReference(...geometry, dy, w, dxRef);
  const dw = nan(w.length),
    dwRef = nan(w.length);
  const db = c.bias ? nan(Cout) : null,
    dbRef = c.bias ? nan(Cout) : null;
  depthwiseNative.depthwiseConv2dBackwardWeights(...geometry, x, dy, dw, db);
  depthwiseNative.depthwiseConv2dBackwardWeightsReference(...geometry, x, dy, dwRef, dbRef);
  // float32 sums of n products of values in [-1, 1] (the reference sums in double): the
  // rounding error is at most about n * 2^-24 relative to the sum of magnitudes; 4x that
  // plus a floor. Forward and data gradient sum at most KH*KW (x m for dx) terms per output;
  // the weight and bias gradients sum N*OH*OW terms.
  const tol = (n: number): number => 4 * Math.max(n, 1) * 2 ** -24 + 1e-6;
  const checks: Check[] = [
    { pass: 'forward', ...maxRelativeError(y, yRef), tolerance: tol(c.KH * c.KW + 1) },
    { pass: 'backwardData', ...maxRelativeError(dx, dxRef), tolerance: tol(c.KH * c.KW * c.m) },
    { pass: 'backwardWeights', ...maxRelativeError(dw, dwRef), tolerance: tol(c.N * OH * OW) },
  ];
  if (db && dbRef)
    checks.push({
      pass: 'backwardBias',
      ...maxRelativeError(db, dbRef),
      tolerance: tol(c.N * OH * OW),
    });
  return checks;
}

function expectMatches(c: Case, seed: number): void {
  for (const r of runCase(c, seed))
    if (!(r.error <= r.tolerance))
      throw new Error(
        `${r.pass} ${JSON.stringify(c)}: error ${r.error} at ${r.index} > ${r.tolerance}`,
      );
}

const kernels: Array<[number, number]> = [
  [3, 3],
  [5, 5],
  [7, 7],
  [1, 3],
  [3, 1],
];
const paddings: Array<(k: [number, number]) => [number, number, number, number]> = [
  () => [0, 0, 0, 0],
  () => [1, 1, 1, 1],
  () => [0, 2, 1, 0], // asymmetric (TensorFlow 'SAME' at stride 2 pads more at the end)
  (k) => [k[0] >> 1, k[0] >> 1, k[1] >> 1, k[1] >> 1], // 'same' padding
];
const channels = [1, 3, 7, 13, 17, 64, 144];
const sides = [1, 2, 5, 8, 9, 13, 16, 33];

describeEachIsa('depthwise', () => {
  test('kernel sizes x strides x paddings x dilations (channels, multiplier, N, H, W varied)', () => {
    let i = 0;
    for (const k of kernels)
      for (const stride of [1, 2, 3])
        for (const padding of paddings)
          for (const dilation of [1, 2]) {
            i++;
            const c = fit({
              N: i % 3 === 0 ? 3 : 1,
              H: sides[i % sides.length],
              W: sides[(i * 3 + 1) % sides.length],
              C: channels[i % channels.length],
              m: i % 4 === 1 ? 2 : 1,
              KH: k[0],
              KW: k[1],
              stride: [stride, i % 5 === 0 ? 1 : stride],
              pad: padding(k),
              dilation: [dilation, dilation],
              bias: i % 2 === 0,
              activation: i % 3,
            });
            expectMatches(c, i);
          }
  });

  test('every channel count, multiplier 1 and 2, around the 16- and 8-lane tails', () => {
    let seed = 500;
    for (const C of [...channels, 8, 15, 16, 31, 32, 33])
      for (const m of [1, 2])
        for (const stride of [1, 2])
          expectMatches(
            {
              N: 3,
              H: 7,
              W: 10,
              C,
              m,
              KH: 3,
              KW: 3,
              stride: [stride, stride],
              pad: [1, 1, 1, 1],
              dilation: [1, 1],
              bias: true,
              activation: 0,
            },
            seed++,
          );
  });

  test('window kernels, stride 1 and 2: widths around the 4- and 8-pixel steps, padding 0..3', () => {
    // 3x3 and 5x5 at stride 1 (and 2, inputs up to 16 MB) take the window kernels (steps of 8
    // output pixels on AVX-512, 4 on AVX2 / generic; the first, last and short steps load zeros
    // outside the row).
    let seed = 700;
    for (const k of [3, 5])
      for (const stride of [1, 2])
        for (const W of [1, 3, 4, 5, 8, 9, 12, 17, 19, 33])
          for (const pad of [0, 1, 2, 3])
            expectMatches(
              fit({
                N: seed % 2 === 0 ? 1 : 2,
                H: 3 + (seed % 5),
                W,
                C: channels[seed % channels.length],
                m: 1,
                KH: k,
                KW: k,
                stride: [stride, stride],
                pad: [pad, (pad + 1) % 4, pad, (pad + seed) % 4],
                dilation: [1, 1],
                bias: seed % 2 === 1,
                activation: seed % 3,
              }),
              seed++,
            );
  });

  test('stride 2 on inputs over 16 MB (the general kernels; smaller ones take the window)', () => {
    let seed = 750;
    for (const k of [3, 5])
      expectMatches(
        {
          N: 2,
          H: 161,
          W: 163,
          C: 81, // 2 x 161 x 163 x 81 floats: 17 MB
          m: 1,
          KH: k,
          KW: k,
          stride: [2, 2],
          pad: [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2],
          dilation: [1, 1],
          bias: true,
          activation: 2,
        },
        seed++,
      );
  });

  test('1, 2, 3 and 5 threads (row ranges split inside images)', () => {
    const threads = runtime.getNumThreads();
    let seed = 800;
    try {
      for (const n of [1, 2, 3, 5])
        for (const [k, stride, pad] of [
          [3, 1, 1],
          [3, 2, 1],
          [5, 1, 2],
          [5, 2, 2],
          [3, 1, 0],
        ]) {
          runtime.setNumThreads(n);
          expectMatches(
            {
              N: seed % 2 === 0 ? 1 : 2,
              H: 13,
              W: 11,
              C: 17,
              m: 1,
              KH: k,
              KW: k,
              stride: [stride, stride],
              pad: [pad, pad, pad, pad],
              dilation: [1, 1],
              bias: true,
              activation: 0,
            },
            seed++,
          );
        }
    } finally {
      runtime.setNumThreads(threads);
    }
  });

  test('image sizes 1..33, odd and non-square', () => {
    let seed = 900;
    for (const [H, W] of [
      [1, 1],
      [1, 7],
      [6, 1],
      [2, 3],
      [11, 4],
      [17, 17],
      [33, 5],
      [24, 33],
      [33, 33],
    ])
      for (const [k, stride] of [
        [3, 1],
        [3, 2],
        [5, 1],
        [7, 2],
      ] as const)
        expectMatches(
          fit({
            N: 1,
            H,
            W,
            C: 17,
            m: 1,
            KH: k,
            KW: k,
            stride: [stride, stride],
            pad: [k >> 1, k >> 1, k >> 1, k >> 1],
            dilation: [1, 1],
            bias: false,
            activation: 2,
          }),
          seed++,
        );
  });

  test('one thread gives the same results', () => {
    runtime.setNumThreads(1);
    try {
      expectMatches(
        {
          N: 3,
          H: 13,
          W: 9,
          C: 19,
          m: 1,
          KH: 3,
          KW: 3,
          stride: [1, 1],
          pad: [1, 1, 1, 1],
          dilation: [1, 1],
          bias: true,
          activation: 1,
        },
        7,
      );
    } finally {
      runtime.setNumThreads(runtime.info().maxThreads);
    }
  });

  test('fused relu6 clamps and the tensor API matches PyTorch on a hand-computed case', () => {
    // x: 1x3x3x1 = 1..9, weight all ones (3x3), padding 1: y = sums of 3x3 neighbourhoods.
    const x = tensor(
      Array.from({ length: 9 }, (_, i) => i + 1),
      [1, 3, 3, 1],
    );
    const w = tensor(new Array(9).fill(1), [1, 1, 3, 3]);
    const y = depthwiseConv2d(x, w, null, { padding: 1 });
    expect(Array.from(y.data)).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
    const y6 = depthwiseConv2d(x, w, tensor([-20], [1]), { padding: 1, activation: 'relu6' });
    expect(Array.from(y6.data)).toEqual([0, 1, 0, 6, 6, 6, 4, 6, 6]);
    // With an all-ones kernel the data gradient is again the neighbourhood sum (of dy = y).
    const dx = depthwiseConv2dBackwardData(y, w, [1, 3, 3, 1], { padding: 1 });
    expect(dx.shape).toEqual([1, 3, 3, 1]);
    expect([dx.data[0], dx.data[4]]).toEqual([12 + 21 + 27 + 45, 245]);
    const { dWeight, dBias } = depthwiseConv2dBackwardWeights(
      x,
      y,
      [1, 1, 3, 3],
      { padding: 1 },
      true,
    );
    expect(dWeight.shape).toEqual([1, 1, 3, 3]);
    expect(dBias?.data[0]).toBe(12 + 21 + 16 + 27 + 45 + 33 + 24 + 39 + 28);
  });
});

/** Asserts a throw by error name (native errors come from another realm than jest's). */
function expectError(call: () => unknown, name: 'TypeError' | 'RangeError', message: RegExp): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined)
    throw new Error(`expected a ${name} matching ${message}; nothing was thrown`);
  const e = thrown as Error;
  if (e.name !== name || !message.test(e.message))
    throw new Error(`expected a ${name} matching ${message}, got ${e.name}: ${e.message}`);
}

describe('depthwise rejects bad arguments without crashing', () => {
  const x = (): Tensor => tensor(new Array(2 * 5 * 5 * 4).fill(1), [2, 5, 5, 4]);
  const w = (shape: number[]): Tensor =>
    tensor(new Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape);
  test.each<[string, () => unknown, 'TypeError' | 'RangeError', RegExp]>([
    [
      'non-integer multiplier',
      () => depthwiseConv2d(x(), w([6, 1, 3, 3])),
      'RangeError',
      /depthwiseConv2d.*multiplier 6\/4/,
    ],
    [
      'weight shape mismatch',
      () => depthwiseConv2d(x(), w([4, 2, 3, 3])),
      'RangeError',
      /depthwiseConv2d.*weight.*\[4, 2, 3, 3\]/,
    ],
    [
      'zero stride',
      () => depthwiseConv2d(x(), w([4, 1, 3, 3]), null, { stride: 0 }),
      'RangeError',
      /depthwiseConv2d.*stride.*0/,
    ],
    [
      'negative padding',
      () => depthwiseConv2d(x(), w([4, 1, 3, 3]), null, { padding: [0, -1, 0, 0] }),
      'RangeError',
      /depthwiseConv2d.*padding.*-1/,
    ],
    [
      'kernel larger than padded input',
      () => depthwiseConv2d(x(), w([4, 1, 7, 3])),
      'RangeError',
      /depthwiseConv2d.*padded input 5 x 5.*7 x 3/,
    ],
    [
      'wrong rank of x',
      () => depthwiseConv2d(tensor([1, 2, 3], [3]), w([1, 1, 1, 1])),
      'RangeError',
      /depthwiseConv2d.*4-D.*\[3\]/,
    ],
    [
      'bias shape',
      () => depthwiseConv2d(x(), w([4, 1, 3, 3]), tensor([1, 2], [2])),
      'RangeError',
      /depthwiseConv2d.*bias.*\[2\]/,
    ],
    [
      'unknown activation',
      () => depthwiseConv2d(x(), w([4, 1, 3, 3]), null, { activation: 'gelu' as 'relu' }),
      'RangeError',
      /activation.*'gelu'/,
    ],
    [
      'not a tensor',
      () => depthwiseConv2d([1] as unknown as Tensor, w([4, 1, 3, 3])),
      'TypeError',
      /depthwiseConv2d.*x/,
    ],
    [
      'dy shape',
      () => depthwiseConv2dBackwardData(x(), w([4, 1, 3, 3]), [2, 5, 5, 4]),
      'RangeError',
      /depthwiseConv2dBackwardData.*\[2, 3, 3, 4\] for dy/,
    ],
    [
      'native: zero stride',
      () =>
        depthwiseNative.depthwiseConv2d(
          1,
          3,
          3,
          1,
          1,
          3,
          3,
          0,
          1,
          0,
          0,
          0,
          0,
          1,
          1,
          new Float32Array(9),
          new Float32Array(9),
          null,
          0,
          new Float32Array(1),
        ),
      'RangeError',
      /convkit\.depthwiseConv2d.*strideH.*0/,
    ],
    [
      'native: negative padding',
      () =>
        depthwiseNative.depthwiseConv2d(
          1,
          3,
          3,
          1,
          1,
          3,
          3,
          1,
          1,
          0,
          0,
          -1,
          0,
          1,
          1,
          new Float32Array(9),
          new Float32Array(9),
          null,
          0,
          new Float32Array(1),
        ),
      'RangeError',
      /padLeft.*-1/,
    ],
    [
      'native: kernel too large',
      () =>
        depthwiseNative.depthwiseConv2dBackwardData(
          1,
          3,
          3,
          1,
          1,
          5,
          3,
          1,
          1,
          0,
          0,
          0,
          0,
          1,
          1,
          new Float32Array(9),
          new Float32Array(15),
          new Float32Array(9),
        ),
      'RangeError',
      /depthwiseConv2dBackwardData.*larger than the padded input/,
    ],
    [
      'native: short output',
      () =>
        depthwiseNative.depthwiseConv2d(
          1,
          3,
          3,
          2,
          1,
          3,
          3,
          1,
          1,
          1,
          1,
          1,
          1,
          1,
          1,
          new Float32Array(18),
          new Float32Array(18),
          null,
          0,
          new Float32Array(17),
        ),
      'RangeError',
      /y holds 17 elements but the shape needs 18/,
    ],
    [
      'native: short weight gradient',
      () =>
        depthwiseNative.depthwiseConv2dBackwardWeights(
          1,
          3,
          3,
          1,
          2,
          3,
          3,
          1,
          1,
          0,
          0,
          0,
          0,
          1,
          1,
          new Float32Array(9),
          new Float32Array(2),
          new Float32Array(9),
          null,
        ),
      'RangeError',
      /dweight holds 9 elements but the shape needs 18/,
    ],
    [
      'native: overflowing sizes',
      () =>
        depthwiseNative.depthwiseConv2d(
          2 ** 30,
          2 ** 20,
          2 ** 20,
          1,
          1,
          1,
          1,
          1,
          1,
          0,
          0,
          0,
          0,
          1,
          1,
          new Float32Array(1),
          new Float32Array(1),
          null,
          0,
          new Float32Array(1),
        ),
      'RangeError',
      /overflows/,
    ],
    [
      'native: not a Float32Array',
      () =>
        depthwiseNative.depthwiseConv2d(
          1,
          1,
          1,
          1,
          1,
          1,
          1,
          1,
          1,
          0,
          0,
          0,
          0,
          1,
          1,
          [1] as unknown as Float32Array,
          new Float32Array(1),
          null,
          0,
          new Float32Array(1),
        ),
      'TypeError',
      /Float32Array for x/,
    ],
    [
      'native: missing arguments',
      () => (depthwiseNative.depthwiseConv2d as unknown as () => void)(),
      'TypeError',
      /expected 20 arguments/,
    ],
  ])('%s', (_name, call, type, message) => expectError(call, type, message));

  test('the process is still healthy afterwards', () => {
    const y = depthwiseConv2d(tensor([2], [1, 1, 1, 1]), tensor([3], [1, 1, 1, 1]));
    expect(y.data[0]).toBe(6);
  });
});
