// GEMM GFLOP/s and % of the FMA peak measured in the same run: squares 64..2048 and the
// im2col shapes of ResNet, on 1 and 2 threads, per ISA path (--isa avx512,avx2 to choose).
'use strict';
const { native } = require('../dist/native');
const { runtime, rand, zeros } = require('../dist');
const { timeMedian, writeResults, pct } = require('./common');

const squares = [64, 128, 256, 512, 1024, 2048].map((n) => ({
  name: `${n}^3`,
  M: n,
  N: n,
  K: n,
  transB: false,
}));
const resnet = [
  { name: 'resnet conv2_x 3x3 (M=25088 N=64 K=576)', M: 25088, N: 64, K: 576, transB: true },
  { name: 'resnet conv3_x 3x3 (M=3136 N=256 K=1152)', M: 3136, N: 256, K: 1152, transB: true },
  { name: 'resnet conv5_x 3x3 (M=784 N=512 K=4608)', M: 784, N: 512, K: 4608, transB: true },
];

function parseArgs(argv) {
  const isaArg = argv.find((a) => a.startsWith('--isa='));
  const isas = isaArg
    ? isaArg.slice(6).split(',')
    : runtime.info().isasAvailable.filter((i) => i !== 'generic');
  return { isas, quick: argv.includes('--quick') };
}

function benchShape(shape, threads) {
  const { M, N, K, transB } = shape;
  const a = rand([M, K]);
  const b = rand(transB ? [N, K] : [K, N]);
  const c = zeros([M, N]);
  runtime.setNumThreads(threads);
  const flops = 2 * M * N * K;
  const runs = flops < 1e9 ? 21 : 7;
  const seconds = timeMedian(
    () => native.sgemm(false, transB, M, N, K, 1, a.data, K, b.data, transB ? K : N, 0, c.data, N),
    { runs },
  );
  [a, b, c].forEach((t) => t.dispose());
  return flops / seconds / 1e9;
}

function main() {
  const { isas, quick } = parseArgs(process.argv.slice(2));
  const maxThreads = runtime.getNumThreads();
  const results = [];
  for (const isa of isas) {
    runtime.setIsa(isa);
    const peak = {
      1: native.fmaPeak(isa, 1, 0.4),
      [maxThreads]: native.fmaPeak(isa, maxThreads, 0.4),
    };
    console.log(
      `\n${isa}: ${native.sgemmKernelName()}; FMA peak ${peak[1].toFixed(1)} GFLOP/s (1 thread), ${peak[maxThreads].toFixed(1)} (${maxThreads} threads)`,
    );
    console.log(
      `${'shape'.padEnd(44)} ${'threads'.padStart(7)} ${'GFLOP/s'.padStart(9)} ${'% peak'.padStart(8)}`,
    );
    const shapes = quick ? [squares[2], squares[4]] : [...squares, ...resnet];
    for (const shape of shapes) {
      for (const threads of [1, maxThreads]) {
        const gflops = benchShape(shape, threads);
        const fraction = gflops / peak[threads];
        results.push({
          isa,
          shape: shape.name,
          M: shape.M,
          N: shape.N,
          K: shape.K,
          threads,
          gflops,
          peak: peak[threads],
          fraction,
        });
        console.log(
          `${shape.name.padEnd(44)} ${String(threads).padStart(7)} ${gflops.toFixed(1).padStart(9)} ${pct(fraction).padStart(8)}`,
        );
      }
    }
  }
  runtime.setIsa(runtime.info().isasAvailable[0]);
  runtime.setNumThreads(maxThreads);
  writeResults('gemm', { results });
}

main();
