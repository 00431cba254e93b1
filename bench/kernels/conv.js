// conv2d GFLOP/s (1 MAC = 2 FLOPs; fwd+bwd = fwd + bwd-data + bwd-weights = 3x the MACs), % of
// the FMA peak measured in the same run, and PyTorch 1.13's figure for the same layer measured
// in the same run (bench/torch/conv.py, best of NCHW / channels_last, 2 threads) when
// /usr/bin/python3 has torch. Usage: node bench/kernels/conv.js [--quick] [--no-torch]
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const { native } = require('../../dist/native');
const { runtime, rand } = require('../../dist');
const { convNative } = require('../../dist/kernels/conv');
const { timeMedian, writeResults, pct } = require('../common');

const layers = [
  {
    name: '3x3 64->64 56x56 N8',
    N: 8,
    H: 56,
    Cin: 64,
    Cout: 64,
    K: 3,
    stride: 1,
    pad: 1,
    groups: 1,
  },
  {
    name: '3x3 256->256 14x14 N8',
    N: 8,
    H: 14,
    Cin: 256,
    Cout: 256,
    K: 3,
    stride: 1,
    pad: 1,
    groups: 1,
  },
  {
    name: '3x3 64->64 32x32 N64',
    N: 64,
    H: 32,
    Cin: 64,
    Cout: 64,
    K: 3,
    stride: 1,
    pad: 1,
    groups: 1,
  },
  {
    name: '1x1 256->64 56x56 N8',
    N: 8,
    H: 56,
    Cin: 256,
    Cout: 64,
    K: 1,
    stride: 1,
    pad: 0,
    groups: 1,
  },
  {
    name: '7x7/2 stem 3->64 224 N8',
    N: 8,
    H: 224,
    Cin: 3,
    Cout: 64,
    K: 7,
    stride: 2,
    pad: 3,
    groups: 1,
  },
  {
    name: '3x3 g32 128 56x56 N8 direct',
    N: 8,
    H: 56,
    Cin: 128,
    Cout: 128,
    K: 3,
    stride: 1,
    pad: 1,
    groups: 32,
    algorithm: 2,
  },
  {
    name: '3x3 g32 128 56x56 N8 per-group GEMM',
    N: 8,
    H: 56,
    Cin: 128,
    Cout: 128,
    K: 3,
    stride: 1,
    pad: 1,
    groups: 32,
    algorithm: 1,
  },
];

function geometry(L) {
  const OH = Math.floor((L.H + 2 * L.pad - L.K) / L.stride) + 1;
  const params = [
    L.N,
    L.H,
    L.H,
    L.Cin,
    L.Cout,
    L.K,
    L.K,
    L.stride,
    L.stride,
    L.pad,
    L.pad,
    L.pad,
    L.pad,
    1,
    1,
    L.groups,
  ];
  const macs = L.N * OH * OH * L.Cout * (L.Cin / L.groups) * L.K * L.K;
  return { OH, params, macs };
}

function benchLayer(L, runs) {
  const { OH, params, macs } = geometry(L);
  const x = rand([L.N, L.H, L.H, L.Cin]);
  const w = rand([L.Cout, L.Cin / L.groups, L.K, L.K]);
  const y = rand([L.N, OH, OH, L.Cout]);
  const dx = rand(x.shape),
    dw = rand(w.shape),
    db = rand([L.Cout]);
  const algorithm = L.algorithm ?? 0;
  const fwd = () =>
    convNative.conv2dForward(params, x.data, w.data, null, null, 0, y.data, algorithm);
  const bwd = () => {
    convNative.conv2dBackwardData(params, y.data, w.data, dx.data, algorithm);
    convNative.conv2dBackwardWeights(params, x.data, y.data, dw.data, db.data, algorithm);
  };
  const tf = timeMedian(fwd, { runs });
  const tbd = timeMedian(
    () => convNative.conv2dBackwardData(params, y.data, w.data, dx.data, algorithm),
    { runs },
  );
  const tbw = timeMedian(
    () => convNative.conv2dBackwardWeights(params, x.data, y.data, dw.data, db.data, algorithm),
    { runs },
  );
  const tb = timeMedian(
    () => {
      fwd();
      bwd();
    },
    { runs },
  );
  [x, w, y, dx, dw, db].forEach((t) => t.dispose());
  return {
    fwd: (2 * macs) / tf / 1e9,
    fwdbwd: (6 * macs) / tb / 1e9,
    bwdData: (2 * macs) / tbd / 1e9,
    bwdWeights: (2 * macs) / tbw / 1e9,
    path: convNative.conv2dAlgorithm(params, algorithm),
  };
}

function torchFigures(runs) {
  const spec = layers.map((L) => ({ ...L, OH: geometry(L).OH, OW: geometry(L).OH, runs }));
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [path.join(__dirname, '..', 'torch', 'conv.py'), JSON.stringify(spec)],
      {
        env: { ...process.env, OMP_NUM_THREADS: '2' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    return JSON.parse(out.trim().split('\n').pop());
  } catch {
    return null;
  }
}

function main() {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const runs = quick ? 3 : 7;
  const info = runtime.info();
  const threads = runtime.getNumThreads();
  const peak = native.fmaPeak(info.isa, threads, 0.4);
  console.log(`conv2d on ${info.isa}, ${threads} threads; FMA peak ${peak.toFixed(1)} GFLOP/s`);
  // --only=0,3 runs a subset of the layers (by index).
  const only = argv.find((a) => a.startsWith('--only='));
  const picked = only
    ? only
        .slice(7)
        .split(',')
        .map((i) => layers[Number(i)])
    : layers;
  layers.splice(0, layers.length, ...picked);
  const ours = layers.map((L) => benchLayer(L, runs));
  const torch = argv.includes('--no-torch') ? null : torchFigures(runs);
  const head = `${'layer'.padEnd(38)} ${'path'.padEnd(15)} ${'fwd'.padStart(7)} ${'%pk'.padStart(6)} ${'torch'.padStart(6)} ${'ratio'.padStart(6)} | ${'fwd+bwd'.padStart(7)} ${'%pk'.padStart(6)} ${'torch'.padStart(6)} ${'ratio'.padStart(6)}`;
  console.log(head);
  const results = layers.map((L, i) => {
    const r = ours[i],
      t = torch ? torch[i] : null;
    const f = (v) => (v === null || v === undefined ? '-' : v.toFixed(1));
    console.log(
      `${L.name.padEnd(38)} ${r.path.padEnd(15)} ${f(r.fwd).padStart(7)} ${pct(r.fwd / peak).padStart(6)} ${f(t && t.fwd).padStart(6)} ${(t ? (r.fwd / t.fwd).toFixed(2) + 'x' : '-').padStart(6)} | ${f(r.fwdbwd).padStart(7)} ${pct(r.fwdbwd / peak).padStart(6)} ${f(t && t.fwdbwd).padStart(6)} ${(t ? (r.fwdbwd / t.fwdbwd).toFixed(2) + 'x' : '-').padStart(6)}`,
    );
    return { layer: L.name, ...r, peak, torch: t };
  });
  console.log(
    `${'layer'.padEnd(38)} ${'bwd-data'.padStart(8)} ${'%pk'.padStart(6)} ${'bwd-w'.padStart(8)} ${'%pk'.padStart(6)}`,
  );
  layers.forEach((L, i) => {
    const r = ours[i];
    console.log(
      `${L.name.padEnd(38)} ${r.bwdData.toFixed(1).padStart(8)} ${pct(r.bwdData / peak).padStart(6)} ${r.bwdWeights.toFixed(1).padStart(8)} ${pct(r.bwdWeights / peak).padStart(6)}`,
    );
  });
  console.log('GFLOP/s; 1 MAC = 2 FLOPs; fwd+bwd counts 3x the forward MACs.');
  writeResults('conv', { results });
}

main();
