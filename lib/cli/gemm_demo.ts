// A short GEMM benchmark for `convkit info --bench`: the machine's FMA peak, then 1024^3 GEMMs.
import { native } from '../native';
import { info } from '../runtime';
import { rand, zeros } from '../tensor';

export function runGemmBenchmark(size = 1024, runs = 5): void {
  const { isa, threads } = info();
  const peak = native.fmaPeak(isa, threads, 0.3);
  const a = rand([size, size]);
  const b = rand([size, size]);
  const c = zeros([size, size]);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    native.sgemm(false, false, size, size, size, 1, a.data, size, b.data, size, 0, c.data, size);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((x, y) => x - y);
  const gflops = (2 * size ** 3) / times[Math.floor(runs / 2)] / 1e9;
  console.log(
    `sgemm ${size}^3 on ${threads} threads (${isa}): ${gflops.toFixed(1)} GFLOP/s median, ` +
      `${((100 * gflops) / peak).toFixed(1)}% of the measured FMA peak ${peak.toFixed(1)} GFLOP/s`,
  );
  [a, b, c].forEach((t) => t.dispose());
}
