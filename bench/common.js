// Shared by the benchmarks: timing medians, the machine's limits measured in the same run,
// and JSON results under bench/results/.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { native } = require('../dist/native');
const { runtime } = require('../dist');

/** Median of `runs` timings (seconds) of fn, after `warmup` untimed calls. */
function timeMedian(fn, { runs = 7, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** FMA peak (GFLOP/s) of an ISA path on 1 thread and on `threads`, and copy/triad GB/s. */
function measureMachine(isa = runtime.info().isa, threads = runtime.getNumThreads()) {
  const limits = {
    isa,
    threads,
    cpu: os.cpus()[0].model,
    peak1: native.fmaPeak(isa, 1, 0.4),
    peakAll: native.fmaPeak(isa, threads, 0.4),
    copyGBs: native.memoryBandwidth('copy', 256 << 20, threads, 5),
    triadGBs: native.memoryBandwidth('triad', 256 << 20, threads, 5),
  };
  return limits;
}

function writeResults(name, data) {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ runtime: runtime.info(), ...data }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

function pct(x) {
  return `${(100 * x).toFixed(1)}%`;
}

module.exports = { timeMedian, measureMachine, writeResults, pct };
