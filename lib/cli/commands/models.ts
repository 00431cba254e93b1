// `convkit models`: the zoo, one line per model: name, family, parameters, input size.
import { Command } from 'commander';
import * as models from '../../models';
import { skipInit } from '../../nn/init';

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n);
}

export function modelsCommand(): Command {
  return new Command('models')
    .description('list the model zoo: name, family, parameters, input size')
    .option('-f, --family <name>', 'only this family')
    .option('--json', 'print the list as JSON', false)
    .action((a: { family?: string; json: boolean }) => {
      const entries = models
        .list()
        .filter((m) => !a.family || m.family.toLowerCase() === a.family.toLowerCase())
        .map((m) => ({
          name: m.name,
          family: m.family,
          // Building a model without initializing its weights is enough to count them.
          parameters: skipInit(() => m.parameters()),
          inputSize: m.inputSize,
          inChannels: m.inChannels,
        }));
      if (a.json) {
        console.log(JSON.stringify(entries));
        return;
      }
      if (entries.length === 0) {
        console.log(a.family ? `no models in family '${a.family}'` : 'no models registered');
        return;
      }
      const rows = [
        ['name', 'family', 'params', 'input'],
        ...entries.map((e) => [
          e.name,
          e.family,
          formatCount(e.parameters),
          `${e.inputSize}x${e.inputSize}x${e.inChannels}`,
        ]),
      ];
      const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
      for (const r of rows)
        console.log(
          r
            .map((v, j) => (j === 2 ? v.padStart(widths[j]) : v.padEnd(widths[j])))
            .join('  ')
            .trimEnd(),
        );
    });
}
