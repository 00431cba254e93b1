// Memory-bound and small kernels of a training step, with PyTorch 1.13 in the same run:
//  - SGD-momentum and AdamW fused updates over 25.6M parameters (ResNet-50): GB/s over the
//    minimal bytes (SGD: read p, g, buf + write p, buf = 20 B/param; AdamW: read p, g, m, v +
//    write p, m, v = 28 B/param) and % of the copy bandwidth measured in this run (copy
//    counts 2 B moved per byte copied but its stores also cost a read-for-ownership; an in-place
//    update writes lines it has just read, so it can exceed 100% of 'copy');
//  - cross-entropy forward + backward on [256, 1000] logits (label smoothing 0.1);
//  - linear 2048 -> 1000, batch 64, forward + backward: GFLOP/s (3 GEMMs = 3 x 2*N*in*out)
//    and % of the FMA peak measured in this run.
// Run: npm run build:ts && node bench/kernels/loss_optim.js [--quick] [--isa=avx512,avx2]
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const { runtime, zeros, randn } = require('../../dist');
const { native } = require('../../dist/native');
const { sgdStep, adamwStep } = require('../../dist/kernels/optim');
const { crossEntropy, crossEntropyBackward } = require('../../dist/kernels/loss');
const { linearNative } = require('../../dist/kernels/linear');
const { timeMedian, writeResults, pct } = require('../common');

const RESNET50_PARAMS = 25557032;

function torchTimes(quick) {
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [path.join(__dirname, '..', 'torch', 'loss_optim.py'), ...(quick ? ['--quick'] : [])],
      {
        env: { ...process.env, OMP_NUM_THREADS: '2' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    return JSON.parse(out.trim().split('\n').pop());
  } catch {
    return null; // no PyTorch here: report convkit alone
  }
}

function main() {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const isaArg = argv.find((a) => a.startsWith('--isa='));
  const isas = isaArg ? isaArg.slice(6).split(',') : [runtime.info().isa];
  const threads = runtime.getNumThreads();
  const runs = quick ? 5 : 11;
  const copyGBs = native.memoryBandwidth('copy', 256 << 20, threads, 5);
  const torch = torchTimes(quick);
  console.log(
    `copy bandwidth ${copyGBs.toFixed(1)} GB/s (${threads} threads)${torch ? `; PyTorch ${torch.torch}, ${torch.threads} threads` : '; PyTorch not available'}`,
  );
  const results = [];
  const report = (isa, name, seconds, metric, unit, limit, torchSeconds) => {
    const value = metric / seconds;
    const ratio = torchSeconds ? torchSeconds / seconds : null;
    results.push({
      isa,
      name,
      seconds,
      value,
      unit,
      fractionOfLimit: value / limit,
      torchSeconds,
      speedupVsTorch: ratio,
    });
    console.log(
      `${isa.padEnd(7)} ${name.padEnd(44)} ${(seconds * 1e3).toFixed(2).padStart(9)} ms ${value.toFixed(1).padStart(8)} ${unit.padEnd(8)} ${pct(value / limit).padStart(7)}` +
        (ratio ? `   PyTorch ${(torchSeconds * 1e3).toFixed(2)} ms, x${ratio.toFixed(2)}` : ''),
    );
  };

  for (const isa of isas) {
    runtime.setIsa(isa);
    const peak = native.fmaPeak(isa, threads, 0.4);
    const n = RESNET50_PARAMS;
    {
      const p = randn([n]),
        g = randn([n]),
        buf = zeros([n]);
      const opts = { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 };
      let step = 1;
      const s = timeMedian(() => sgdStep(p, g, buf, opts, step++), { runs });
      report(
        isa,
        'SGD momentum update, 25.6M params',
        s,
        (20 * n) / 1e9,
        'GB/s',
        copyGBs,
        torch?.sgd_momentum,
      );
      [p, g, buf].forEach((t) => t.dispose());
    }
    {
      const p = randn([n]),
        g = randn([n]);
      const state = { expAvg: zeros([n]), expAvgSq: zeros([n]) };
      let step = 1;
      const s = timeMedian(() => adamwStep(p, g, state, { lr: 1e-3, weightDecay: 1e-2 }, step++), {
        runs,
      });
      report(isa, 'AdamW update, 25.6M params', s, (28 * n) / 1e9, 'GB/s', copyGBs, torch?.adamw);
      [p, g, state.expAvg, state.expAvgSq].forEach((t) => t.dispose());
    }
    {
      const logits = randn([256, 1000]);
      const labels = Int32Array.from({ length: 256 }, (_, i) => (i * 7919) % 1000);
      const one = zeros([]);
      one.data[0] = 1;
      const opts = { labelSmoothing: 0.1 };
      const s = timeMedian(
        () => {
          crossEntropy(logits, labels, opts).dispose();
          crossEntropyBackward(logits, labels, one, opts).dispose();
        },
        { runs: runs * 4 },
      );
      // Minimal traffic: read the logits twice (forward, backward) and write the gradient.
      report(
        isa,
        'cross-entropy fwd+bwd [256, 1000]',
        s,
        (3 * 4 * 256 * 1000) / 1e9,
        'GB/s',
        copyGBs,
        torch?.cross_entropy_fwd_bwd,
      );
    }
    {
      const N = 64,
        inF = 2048,
        outF = 1000;
      const x = randn([N, inF]),
        w = randn([outF, inF]),
        b = randn([outF]),
        dy = randn([N, outF]);
      const y = zeros([N, outF]),
        dx = zeros([N, inF]),
        dW = zeros([outF, inF]),
        db = zeros([outF]);
      const s = timeMedian(
        () => {
          linearNative.linearForward(x.data, w.data, b.data, y.data, N, inF, outF);
          linearNative.linearBackward(
            x.data,
            w.data,
            dy.data,
            dx.data,
            dW.data,
            db.data,
            N,
            inF,
            outF,
            false,
          );
        },
        { runs: runs * 4 },
      );
      report(
        isa,
        'linear 2048->1000 N=64 fwd+bwd',
        s,
        (3 * 2 * N * inF * outF) / 1e9,
        'GFLOP/s',
        peak,
        torch?.linear_fwd_bwd,
      );
    }
  }
  runtime.setIsa(runtime.info().isasAvailable[0]);
  writeResults('loss_optim', { copyGBs, threads, torch, results });
}

main();
