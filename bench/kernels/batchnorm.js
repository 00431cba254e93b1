// BatchNorm2d training forward + backward (256ch 56x56 N8 by default) and activation forward /
// backward: GB/s over the minimal bytes (BN fwd: read x + write y; BN bwd: read x + dy, write
// dx; activation fwd: read x + write y; bwd: read x + dy, write dx), as % of the copy bandwidth
// measured in the same run, and the ratio to PyTorch 1.13 (best of NCHW / channels_last) when
// /usr/bin/python3 has torch.  node bench/kernels/batchnorm.js [--shape=N,C,H,W]
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const { native } = require('../../dist/native');
const { runtime, randn, zeros } = require('../../dist');
const { timeMedian, writeResults, pct } = require('../common');

const shapeArg = process.argv.find((a) => a.startsWith('--shape='));
const [N, C, H, W] = shapeArg ? shapeArg.slice(8).split(',').map(Number) : [8, 256, 56, 56];
const rows = N * H * W;
const elements = rows * C;
const bytes = elements * 4;

function pytorch() {
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [path.join(__dirname, '../torch/batchnorm.py'), N, C, H, W].map(String),
      {
        env: { ...process.env, OMP_NUM_THREADS: String(runtime.getNumThreads()) },
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
  const threads = runtime.getNumThreads();
  const copyGBs = native.memoryBandwidth('copy', 256 << 20, threads, 5);
  const x = randn([N, H, W, C]);
  const dy = randn([N, H, W, C]);
  const y = zeros([N, H, W, C]);
  const dx = zeros([N, H, W, C]);
  const gamma = randn([C]),
    beta = randn([C]),
    rm = zeros([C]),
    rv = zeros([C]).data.fill(1);
  const mean = new Float32Array(C),
    invstd = new Float32Array(C),
    dg = new Float32Array(C),
    db = new Float32Array(C);
  const fwd = () =>
    native.batchNormForwardTraining(
      rows,
      C,
      x.data,
      gamma.data,
      beta.data,
      rm.data,
      rv,
      0.1,
      1e-5,
      'none',
      y.data,
      mean,
      invstd,
    );
  const bwd = () =>
    native.batchNormBackward(
      rows,
      C,
      x.data,
      dy.data,
      null,
      gamma.data,
      mean,
      invstd,
      true,
      'none',
      dx.data,
      dg,
      db,
    );
  const fwdReluBwd = () => {
    native.batchNormForwardTraining(
      rows,
      C,
      x.data,
      gamma.data,
      beta.data,
      rm.data,
      rv,
      0.1,
      1e-5,
      'relu',
      y.data,
      mean,
      invstd,
    );
    native.batchNormBackward(
      rows,
      C,
      x.data,
      dy.data,
      y.data,
      gamma.data,
      mean,
      invstd,
      true,
      'relu',
      dx.data,
      dg,
      db,
    );
  };
  const tf = timeMedian(fwd, { runs: 11 });
  const tb = timeMedian(bwd, { runs: 11 });
  const tfb = timeMedian(
    () => {
      fwd();
      bwd();
    },
    { runs: 11 },
  );
  const tRelu = timeMedian(fwdReluBwd, { runs: 11 });
  const torch = pytorch();
  const best = (key) => (torch ? Math.min(torch.nchw[key], torch.channels_last[key]) : null);
  const results = {
    shape: [N, C, H, W],
    threads,
    isa: runtime.info().isa,
    copyGBs,
    bn: {},
    activations: {},
  };
  console.log(
    `BatchNorm2d NHWC [${N},${H},${W},${C}], ${threads} threads, ${runtime.info().isa}; copy bandwidth ${copyGBs.toFixed(1)} GB/s`,
  );
  const row = (name, seconds, minimalBytes, torchSeconds) => {
    const gbs = minimalBytes / seconds / 1e9;
    const ratio = torchSeconds ? torchSeconds / seconds : null;
    results.bn[name] = {
      ms: seconds * 1e3,
      gbs,
      fractionOfCopy: gbs / copyGBs,
      torchMs: torchSeconds ? torchSeconds * 1e3 : null,
      speedup: ratio,
    };
    console.log(
      `${name.padEnd(22)} ${(seconds * 1e3).toFixed(2).padStart(8)} ms ${gbs.toFixed(1).padStart(7)} GB/s ${pct(gbs / copyGBs).padStart(7)} of copy` +
        (ratio ? `   PyTorch ${(torchSeconds * 1e3).toFixed(2)} ms -> ${ratio.toFixed(2)}x` : ''),
    );
  };
  row('train fwd', tf, 2 * bytes, best('fwd'));
  row('train bwd', tb, 3 * bytes, null);
  row('train fwd+bwd', tfb, 5 * bytes, best('fwdBwd'));
  row('train fwd+bwd +relu', tRelu, 6 * bytes, null);

  for (const kind of ['relu', 'sigmoid', 'gelu', 'silu', 'tanh', 'hardswish']) {
    const tfa = timeMedian(() => native.activationForward(kind, 0, elements, x.data, y.data), {
      runs: 9,
    });
    const tba = timeMedian(
      () => native.activationBackward(kind, 0, elements, x.data, dy.data, dx.data),
      { runs: 9 },
    );
    const torchFwd =
      torch && torch.nchw.activations[kind]
        ? Math.min(torch.nchw.activations[kind], torch.channels_last.activations[kind])
        : null;
    const gf = (2 * bytes) / tfa / 1e9,
      gb = (3 * bytes) / tba / 1e9;
    results.activations[kind] = {
      fwdGBs: gf,
      bwdGBs: gb,
      fwdFractionOfCopy: gf / copyGBs,
      bwdFractionOfCopy: gb / copyGBs,
      torchFwdSpeedup: torchFwd ? torchFwd / tfa : null,
    };
    console.log(
      `${kind.padEnd(10)} fwd ${gf.toFixed(1).padStart(6)} GB/s (${pct(gf / copyGBs)})  bwd ${gb.toFixed(1).padStart(6)} GB/s (${pct(gb / copyGBs)})` +
        (torchFwd ? `  fwd vs PyTorch ${(torchFwd / tfa).toFixed(2)}x` : ''),
    );
  }
  [x, dy, y, dx, gamma, beta, rm].forEach((t) => t.dispose());
  writeResults('batchnorm', results);
}

main();
