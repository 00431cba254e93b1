// Depthwise convolution: forward GB/s against the minimal bytes the op must move (read x and
// the weights, write y) and as % of the copy bandwidth measured in the same run; backward data
// and weights likewise (read dy + weights / x, write dx / dweight); forward+backward time and
// its ratio to PyTorch 1.13 (bench/torch/depthwise.py, best of NCHW / channels_last, 2 threads)
// when /usr/bin/python3 has torch.
// Usage: node bench/kernels/depthwise.js [--isa=avx512,avx2] [--quick]   (after `npm run build:ts`)
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const { native } = require('../../dist/native');
const { runtime, randn } = require('../../dist');
const { depthwiseNative } = require('../../dist/kernels/depthwise');
const { timeMedian, writeResults, pct } = require('../common');

const shapes = [
  {
    name: 'MobileNetV2 3x3 s1 144ch 56x56 N8',
    N: 8,
    H: 56,
    W: 56,
    C: 144,
    m: 1,
    k: 3,
    stride: 1,
    pad: 1,
  },
  {
    name: 'MobileNetV2 3x3 s2 144ch 56x56 N8',
    N: 8,
    H: 56,
    W: 56,
    C: 144,
    m: 1,
    k: 3,
    stride: 2,
    pad: 1,
  },
  {
    name: 'EfficientNet 5x5 s1 240ch 28x28 N8',
    N: 8,
    H: 28,
    W: 28,
    C: 240,
    m: 1,
    k: 5,
    stride: 1,
    pad: 2,
  },
  {
    name: 'EfficientNet 5x5 s2 144ch 56x56 N8',
    N: 8,
    H: 56,
    W: 56,
    C: 144,
    m: 1,
    k: 5,
    stride: 2,
    pad: 2,
  },
];

function parseArgs(argv) {
  const isaArg = argv.find((a) => a.startsWith('--isa='));
  const isas = isaArg ? isaArg.slice(6).split(',') : [runtime.info().isa];
  return { isas, quick: argv.includes('--quick') };
}

function torchTimes(list, runs) {
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [path.join(__dirname, '..', 'torch', 'depthwise.py'), JSON.stringify(list), String(runs)],
      {
        env: { ...process.env, OMP_NUM_THREADS: String(runtime.getNumThreads()) },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((line) => {
          const r = JSON.parse(line);
          return [r.name, r];
        }),
    );
  } catch {
    return null;
  }
}

function benchShape(s, runs) {
  const OH = Math.floor((s.H + 2 * s.pad - s.k) / s.stride) + 1;
  const OW = Math.floor((s.W + 2 * s.pad - s.k) / s.stride) + 1;
  const Cout = s.C * s.m;
  const geometry = [
    s.N,
    s.H,
    s.W,
    s.C,
    s.m,
    s.k,
    s.k,
    s.stride,
    s.stride,
    s.pad,
    s.pad,
    s.pad,
    s.pad,
    1,
    1,
  ];
  const x = randn([s.N, s.H, s.W, s.C]),
    w = randn([Cout, 1, s.k, s.k]),
    b = randn([Cout]);
  const y = randn([s.N, OH, OW, Cout]),
    dy = randn([s.N, OH, OW, Cout]),
    dx = randn([s.N, s.H, s.W, s.C]);
  const dw = randn([Cout, 1, s.k, s.k]),
    db = randn([Cout]);
  const fwd = timeMedian(
    () => depthwiseNative.depthwiseConv2d(...geometry, x.data, w.data, b.data, 0, y.data),
    { runs },
  );
  const bwdData = timeMedian(
    () => depthwiseNative.depthwiseConv2dBackwardData(...geometry, dy.data, w.data, dx.data),
    { runs },
  );
  const bwdWeights = timeMedian(
    () =>
      depthwiseNative.depthwiseConv2dBackwardWeights(
        ...geometry,
        x.data,
        dy.data,
        dw.data,
        db.data,
      ),
    { runs },
  );
  [x, w, b, y, dy, dx, dw, db].forEach((t) => t.dispose());
  const bytes = 4 * (x.size + w.size + b.size + y.size);
  const bytesData = 4 * (dy.size + w.size + dx.size);
  const bytesWeights = 4 * (x.size + dy.size + dw.size + db.size);
  return {
    fwd,
    bwdData,
    bwdWeights,
    fwdbwd: fwd + bwdData + bwdWeights,
    gbs: bytes / fwd / 1e9,
    gbsData: bytesData / bwdData / 1e9,
    gbsWeights: bytesWeights / bwdWeights / 1e9,
    gflops: (2 * s.N * OH * OW * Cout * s.k * s.k) / fwd / 1e9,
  };
}

function main() {
  const { isas, quick } = parseArgs(process.argv.slice(2));
  const runs = quick ? 7 : 21;
  const threads = runtime.getNumThreads();
  const copy = native.memoryBandwidth('copy', 256 << 20, threads, 5);
  const torch = torchTimes(shapes, quick ? 5 : 11);
  console.log(
    `copy bandwidth ${copy.toFixed(1)} GB/s (${threads} threads)${torch ? `; PyTorch ${Object.values(torch)[0].torch}` : '; PyTorch not available'}`,
  );
  const results = [];
  for (const isa of isas) {
    runtime.setIsa(isa);
    console.log(`\n${isa}: ${depthwiseNative.depthwiseKernelName()}`);
    console.log(
      `${'shape'.padEnd(38)} ${'fwd ms'.padStart(7)} ${'GB/s'.padStart(6)} ${'%copy'.padStart(6)} ${'bwdD GB/s'.padStart(9)} ${'bwdW GB/s'.padStart(9)} ${'f+b ms'.padStart(7)} ${'torch f+b'.padStart(9)} ${'speedup'.padStart(7)} ${'fwd vs torch'.padStart(12)}`,
    );
    for (const s of shapes) {
      const r = benchShape(s, runs);
      const t = torch && torch[s.name];
      const row = {
        isa,
        shape: s.name,
        threads,
        copyGBs: copy,
        ...r,
        fractionOfCopy: r.gbs / copy,
        torchFwd: t ? t.fwd : null,
        torchFwdbwd: t ? t.fwdbwd : null,
        torchFormats: t ? [t.fwdFormat, t.fwdbwdFormat] : null,
        speedupFwdbwd: t ? t.fwdbwd / r.fwdbwd : null,
        speedupFwd: t ? t.fwd / r.fwd : null,
      };
      results.push(row);
      console.log(
        `${s.name.padEnd(38)} ${(r.fwd * 1e3).toFixed(3).padStart(7)} ${r.gbs.toFixed(1).padStart(6)} ${pct(r.gbs / copy).padStart(6)} ${r.gbsData.toFixed(1).padStart(9)} ${r.gbsWeights.toFixed(1).padStart(9)} ${(r.fwdbwd * 1e3).toFixed(3).padStart(7)} ${t ? (t.fwdbwd * 1e3).toFixed(3).padStart(9) : '-'.padStart(9)} ${t ? `${row.speedupFwdbwd.toFixed(2)}x`.padStart(7) : '-'.padStart(7)} ${t ? `${row.speedupFwd.toFixed(2)}x`.padStart(12) : '-'.padStart(12)}`,
      );
    }
  }
  runtime.setIsa(runtime.info().isasAvailable[0]);
  writeResults('depthwise', { results });
}

main();
