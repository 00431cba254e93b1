// `convkit bench blocks|models`: runs the repository's benchmark scripts (bench/run.js), which
// write JSON and a report. bench/ ships with a clone, not with the npm package.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Argument, Command } from 'commander';
import { exit, UsageError } from '../options';

export function benchCommand(): Command {
  return new Command('bench')
    .description('run a benchmark suite (node bench/run.js <suite>)')
    .addArgument(new Argument('<suite>', 'what to measure').choices(['blocks', 'models']))
    .argument('[args...]', 'passed on to the suite (after --)')
    .action((suite: string, args: string[]) => {
      // lib/cli/commands (ts-node) and dist/cli/commands (built) are both three levels down.
      const script = path.join(__dirname, '..', '..', '..', 'bench', 'run.js');
      if (!fs.existsSync(script))
        throw new UsageError(`benchmarks are not installed (${script}); run them from a clone`);
      const result = spawnSync(process.execPath, [script, suite, ...args], { stdio: 'inherit' });
      if (result.error) throw result.error;
      exit.code = result.status ?? 1;
    });
}
