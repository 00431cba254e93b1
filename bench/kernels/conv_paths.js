// Explicit im2col vs implicit GEMM for stride-1 3x3 convolutions (issue #4: "im2col, explicit
// rows or implicit addressing, measured"): forward, backward-data (which runs as a forward
// convolution at stride 1) and backward-weights on both paths, same run, medians, 2 threads.
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
  { name: '256->256 8x8 N64 (ResNet-18 CIFAR)', N: 64, H: 8, C: 256 },
  { name: '512->512 4x4 N64', N: 64, H: 4, C: 512 },
  { name: '64->64 7x7 N128', N: 128, H: 7, C: 64 },
];
const IM2COL = 1;
const IMPLICIT = 3;

console.log('im2col / implicit GEMM, median ms (implicit speedup)');
const rows = [];
for (const L of layers) {
  const x = rand([L.N, L.H, L.H, L.C]);
  const w = rand([L.C, L.C, 3, 3]);
  const { params } = conv2dParams(x.shape, w.shape, { padding: 1 });
  const y = rand(x.shape);
  const dx = rand(x.shape);
  const dw = rand(w.shape);
  const flops = 2 * L.N * L.H * L.H * L.C * L.C * 9;
  const calls = {
    fwd: (algorithm) =>
      convNative.conv2dForward(params, x.data, w.data, null, null, 0, y.data, algorithm),
    bwdData: (algorithm) =>
      convNative.conv2dBackwardData(params, y.data, w.data, dx.data, algorithm),
    bwdWeights: (algorithm) =>
      convNative.conv2dBackwardWeights(params, x.data, y.data, dw.data, null, algorithm),
  };
  const time = (algorithm, what) =>
    timeMedian(() => calls[what](algorithm), { runs: quick ? 5 : 11 });
  const row = { layer: L.name, flops };
  for (const what of Object.keys(calls)) {
    const a = time(IM2COL, what);
    const b = time(IMPLICIT, what);
    row[`${what}Im2colMs`] = a * 1e3;
    row[`${what}ImplicitMs`] = b * 1e3;
    row[`${what}ImplicitSpeedup`] = a / b;
  }
  rows.push(row);
  const part = (what) =>
    `${row[`${what}Im2colMs`].toFixed(2)} / ${row[`${what}ImplicitMs`].toFixed(2)} ms ` +
    `(${row[`${what}ImplicitSpeedup`].toFixed(2)}x)`;
  console.log(
    `${L.name.padEnd(36)} fwd ${part('fwd')} | bwd-data ${part('bwdData')} | bwd-w ${part('bwdWeights')}`,
  );
}
writeResults('conv-paths', { threads: runtime.getNumThreads(), rows });
