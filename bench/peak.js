// The machine's limits: FMA GFLOP/s per ISA on 1 thread and all threads, copy/triad GB/s.
'use strict';
const { native } = require('../dist/native');
const { runtime } = require('../dist');
const { writeResults } = require('./common');

function main() {
  const threads = runtime.getNumThreads();
  const rows = [];
  for (const isa of runtime.info().isasAvailable) {
    const one = native.fmaPeak(isa, 1, 0.5);
    const all = native.fmaPeak(isa, threads, 0.5);
    rows.push({ isa, gflopsPerCore: one, gflopsAllThreads: all, threads });
    console.log(
      `fma ${isa.padEnd(8)} ${one.toFixed(1).padStart(7)} GFLOP/s per core  ${all.toFixed(1).padStart(7)} GFLOP/s on ${threads} threads`,
    );
  }
  const bandwidth = {};
  for (const kind of ['copy', 'triad']) {
    bandwidth[kind] = native.memoryBandwidth(kind, 512 << 20, threads, 7);
    console.log(
      `${kind.padEnd(5)} ${bandwidth[kind].toFixed(1)} GB/s on ${threads} threads (512 MiB arrays)`,
    );
  }
  writeResults('peak', { fma: rows, bandwidth });
}

main();
