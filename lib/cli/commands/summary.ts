// `convkit summary <model>`: the profiler's per-module table (output shapes, parameters,
// MACs, FLOPs, activation memory).
import { Command } from 'commander';
import { skipInit } from '../../nn/init';
import { formatSummary, summary } from '../../profile';
import { jsonObject, positiveInt, UsageError } from '../options';
import { modelInfo } from '../setup';

interface SummaryArgs {
  inputSize?: number;
  inChannels?: number;
  numClasses?: number;
  batchSize: number;
  depth?: number;
  modelOptions: Record<string, unknown>;
  json: boolean;
}

export function summaryCommand(): Command {
  return new Command('summary')
    .description('per-module table: output shapes, parameters, MACs, FLOPs, activation memory')
    .argument('<model>', 'model from the zoo (see `convkit models`)')
    .option('-s, --input-size <n>', "input height and width (default: the model's)", positiveInt)
    .option('--in-channels <n>', "input channels (default: the model's)", positiveInt)
    .option(
      '--num-classes <n>',
      'classes of the classifier (default: the model default)',
      positiveInt,
    )
    .option('-b, --batch-size <n>', 'batch size of the example input', positiveInt, 1)
    .option('--depth <n>', 'fold modules deeper than this into their parents', positiveInt)
    .option('--model-options <json>', 'extra model constructor options as JSON', jsonObject, {})
    .option('--json', 'print the summary as JSON', false)
    .action((name: string, a: SummaryArgs) => {
      const info = modelInfo(name);
      const inChannels = a.inChannels ?? info.inChannels;
      const options = {
        ...(a.numClasses !== undefined ? { numClasses: a.numClasses } : {}),
        ...(inChannels !== info.inChannels ? { inChannels } : {}),
        ...a.modelOptions,
      };
      // Structure only: the weights' values do not change any count.
      const model = skipInit(() => {
        try {
          return info.create(options);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      });
      const size = a.inputSize ?? info.inputSize;
      const s = summary(model, [a.batchSize, size, size, inChannels], {
        ...(a.depth !== undefined ? { depth: a.depth } : {}),
      });
      console.log(a.json ? JSON.stringify(s) : formatSummary(s));
    });
}
