// `convkit info`: version, SIMD path, threads; --bench adds a short GEMM benchmark.
import { Command } from 'commander';
import { info } from '../../runtime';
import { runGemmBenchmark } from '../gemm_demo';

export function infoCommand(): Command {
  return new Command('info')
    .description('runtime information: version, ISA path, threads')
    .option('--json', 'print as JSON', false)
    .option('--bench', 'also run a short GEMM benchmark against the FMA peak', false)
    .action((a: { json: boolean; bench: boolean }) => {
      const i = info();
      if (a.json) console.log(JSON.stringify(i, null, 2));
      else
        console.log(
          [
            `convkit ${i.version} (node ${process.version}, ${i.arch})`,
            `isa:     ${i.isa} (available: ${i.isasAvailable.join(', ')}; ${i.vectorWidth} float32 lanes)`,
            `threads: ${i.threads} of ${i.maxThreads} (OpenMP ${i.openmp ? 'on' : 'off'})`,
            `gemm:    ${i.gemmKernel}`,
          ].join('\n'),
        );
      if (a.bench) runGemmBenchmark();
    });
}
