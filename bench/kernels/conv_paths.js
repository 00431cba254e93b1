// Explicit im2col vs implicit GEMM for stride-1 3x3 convolutions (issue #4: "im2col, explicit
// rows or implicit addressing, measured"): forward and backward-data (which runs as a forward
// convolution at stride 1) on both paths, same run, medians, 2 threads.
// Usage: node bench/kernels/conv_paths.js [--quick]
'use strict';
const { runtime, rand } = require('../../dist');
const { convNative, conv2dParams } = require('../../dist/kernels/conv');
const { timeMedian, writeResults } = require('../common');

const quick = process.argv.includes('--quick');
const layers = [
  { name: '16->16 28x28 N128 (ResNet-20 stage 1)', N: 128, H: 28, C: 16 },
  { name: '32->32 14x14 N128', N: 128, H: 14, C: 32 },
  { name: '64->64 56x56 N8', N: 8, H: 56, C: 64 },
  { name: '128->128 28x28 N8', N: 8, H: 28, C: 128 },
  { name: '256->256 14x14 N8', N: 8, H: 14, C: 256 },
];
const IM2COL = 1;
const IMPLICIT = 3;

const rows = [];
for (const L of layers) {
  const x = rand([L.N, L.H, L.H, L.C]);
  const w = rand([L.C, L.C, 3, 3]);
  const { params } = conv2dParams(x.shape, w.shape, { padding: 1 });
  const y = rand(x.shape);
  const dx = rand(x.shape);
  const flops = 2 * L.N * L.H * L.H * L.C * L.C * 9;
  const time = (algorithm, backward) =>
    timeMedian(
      () =>
        backward
          ? convNative.conv2dBackwardData(params, y.data, w.data, dx.data, algorithm)
          : convNative.conv2dForward(params, x.data, w.data, null, null, 0, y.data, algorithm),
      { runs: quick ? 5 : 11 },
    );
  const row = { layer: L.name, flops };
  for (const [what, backward] of [
    ['fwd', false],
    ['bwdData', true],
  ]) {
    const a = time(IM2COL, backward);
    const b = time(IMPLICIT, backward);
    row[`${what}Im2colMs`] = a * 1e3;
    row[`${what}ImplicitMs`] = b * 1e3;
    row[`${what}ImplicitSpeedup`] = a / b;
  }
  rows.push(row);
  console.log(
    `${L.name.padEnd(40)} fwd im2col ${row.fwdIm2colMs.toFixed(2)} ms, implicit ` +
      `${row.fwdImplicitMs.toFixed(2)} ms (${row.fwdImplicitSpeedup.toFixed(2)}x) | bwd-data ` +
      `${row.bwdDataIm2colMs.toFixed(2)} / ${row.bwdDataImplicitMs.toFixed(2)} ms ` +
      `(${row.bwdDataImplicitSpeedup.toFixed(2)}x)`,
  );
}
writeResults('conv-paths', { threads: runtime.getNumThreads(), rows });
