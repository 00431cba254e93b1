#!/usr/bin/env node
// The `convkit` command. For now: runtime information (`info`) and the main job
// (`start`: runtime info and a short GEMM benchmark).
import { info } from '../runtime';
import { runGemmBenchmark } from './gemm_demo';

function main(argv: string[]): void {
  const command = argv[0] ?? 'info';
  if (command === 'info') {
    console.log(JSON.stringify(info(), null, 2));
  } else if (command === 'start') {
    console.log(JSON.stringify(info(), null, 2));
    runGemmBenchmark();
  } else {
    console.error(`convkit: unknown command '${command}' (try: info, start)`);
    process.exitCode = 2;
  }
}

main(process.argv.slice(2));
