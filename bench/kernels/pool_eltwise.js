// Memory-bound ops: GB/s against the minimal bytes each must move, as a % of the copy
// bandwidth measured in the same run, and the ratio to PyTorch 1.13 (same run, 2 threads,
// best of NCHW / channels_last) when /usr/bin/python3 has torch.
//   node bench/kernels/pool_eltwise.js [--no-torch]
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');
const { native } = require('../../dist/native');
const { runtime, randn, zeros } = require('../../dist');
const pool = require('../../dist/kernels/pool');
const elementwise = require('../../dist/kernels/elementwise');
const { timeMedian, writeResults, pct } = require('../common');

const F32 = 4;
const size = (s) => s.reduce((a, b) => a * b, 1);

// Kernels write into preallocated outputs (as a training step reusing its buffers does);
// `wrapper` rows add the lib wrapper's output allocation (zero-filled) for comparison.
function cases() {
  const x = randn([8, 112, 112, 64]);
  const maxOpts = { kernelSize: 3, stride: 2, padding: 1 };
  const { output, indices } = pool.maxPool2d(x, maxOpts);
  const gin = zeros(x.shape);
  const g = randn(output.shape);
  const maxArgs = [8, 112, 112, 64, 3, 3, 2, 2, 1, 1, 1, 1, false];
  const act = randn([8, 56, 56, 256]);
  const other = randn([8, 56, 56, 256]);
  const out = zeros(act.shape);
  const scale = randn([8, 1, 1, 256]);
  const pooled = zeros([8, 1, 1, 256]);
  const channelSums = zeros([256]);
  const a = randn([8, 56, 56, 128]);
  const b = randn([8, 56, 56, 32]);
  const joined = zeros([8, 56, 56, 160]);
  const s = [...act.shape];
  const pooledBytes = size(output.shape) * F32;
  return [
    {
      name: 'maxpool fwd',
      bytes: size(x.shape) * F32 + 2 * pooledBytes,
      run: () => native.maxPool2d(...maxArgs, x.data, output.data, indices),
    },
    {
      name: 'maxpool bwd',
      bytes: size(x.shape) * F32 + 2 * pooledBytes,
      run: () => native.maxPool2dBackward(...maxArgs, g.data, indices, gin.data),
    },
    {
      name: 'global avg pool',
      bytes: size(act.shape) * F32,
      run: () => native.adaptiveAvgPool2d(8, 56, 56, 256, 1, 1, act.data, pooled.data),
    },
    {
      name: 'SE scale mul',
      bytes: 2 * size(act.shape) * F32,
      run: () =>
        native.binaryBroadcast('mul', act.data, s, scale.data, [8, 1, 1, 256], out.data, s),
    },
    {
      name: 'residual add',
      bytes: 3 * size(act.shape) * F32,
      run: () => native.binaryBroadcast('add', act.data, s, other.data, s, out.data, s),
    },
    {
      name: 'concat C',
      bytes: 2 * (size(a.shape) + size(b.shape)) * F32,
      run: () => native.concatRows(joined.data, [a.data, b.data], [128, 32], 8 * 56 * 56),
    },
    {
      name: 'sum over N,H,W',
      bytes: size(act.shape) * F32,
      run: () => native.reduceSum(act.data, s, [0, 1, 2], 1, channelSums.data),
    },
    {
      name: 'residual add (wrapper)',
      bytes: 3 * size(act.shape) * F32,
      run: () => elementwise.add(act, other).dispose(),
    },
    {
      name: 'maxpool fwd (wrapper)',
      bytes: size(x.shape) * F32 + 2 * pooledBytes,
      run: () => {
        const r = pool.maxPool2d(x, maxOpts);
        r.output.dispose();
        r.indexStorage.dispose();
      },
    },
  ];
}

function torchTimes() {
  const python = '/usr/bin/python3';
  const script = path.join(__dirname, '..', 'torch', 'pool_eltwise.py');
  const r = spawnSync(python, [script], {
    env: { ...process.env, OMP_NUM_THREADS: '2' },
    encoding: 'utf8',
    timeout: 600000,
  });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

function main() {
  const threads = runtime.getNumThreads();
  const copy = native.memoryBandwidth('copy', 256 << 20, threads, 5);
  console.log(`${runtime.info().isa}, ${threads} threads; copy bandwidth ${copy.toFixed(1)} GB/s`);
  const rows = [];
  for (const c of cases()) {
    const seconds = timeMedian(c.run, { runs: 15, warmup: 3 });
    rows.push({ name: c.name, ms: seconds * 1e3, gbs: c.bytes / seconds / 1e9 });
  }
  const torch = process.argv.includes('--no-torch') ? null : torchTimes();
  console.log(
    `${'op'.padEnd(24)} ${'ms'.padStart(8)} ${'GB/s'.padStart(8)} ${'% copy'.padStart(8)} ${'torch ms'.padStart(9)} ${'speedup'.padStart(8)}`,
  );
  for (const r of rows) {
    r.copyFraction = r.gbs / copy;
    r.torchMs = torch ? (torch[r.name.replace(' (wrapper)', '')] ?? null) : null;
    r.speedup = r.torchMs ? r.torchMs / r.ms : null;
    console.log(
      `${r.name.padEnd(24)} ${r.ms.toFixed(2).padStart(8)} ${r.gbs.toFixed(1).padStart(8)} ${pct(r.copyFraction).padStart(8)} ` +
        `${(r.torchMs ? r.torchMs.toFixed(2) : '-').padStart(9)} ${(r.speedup ? r.speedup.toFixed(2) + 'x' : '-').padStart(8)}`,
    );
  }
  writeResults('pool_eltwise', { copyGBs: copy, threads, results: rows });
}

main();
