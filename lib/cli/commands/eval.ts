// `convkit eval`: loss, top-1 / top-5 accuracy and the confusion matrix of trained weights on
// a dataset's test split.
import { Command, Option } from 'commander';
import * as path from 'path';
import { setNumThreads } from '../../runtime';
import { evaluate } from '../../train';
import { datasetNames, loadData } from '../data';
import { trainDefaults as d } from '../defaults';
import { jsonObject, positiveInt, UsageError } from '../options';
import { createModel, loadWeights, readRunConfig } from '../setup';

interface EvalArgs {
  run?: string;
  model?: string;
  modelOptions?: Record<string, unknown>;
  data?: string;
  dataDir?: string;
  weights?: string;
  batchSize: number;
  limit?: number;
  threads?: number;
  json: boolean;
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate weights on the test split: loss, top-1, top-5, confusion matrix')
    .option('-r, --run <dir>', 'a run directory of `convkit train` (its model, data and weights)')
    .option('-m, --model <name>', `model from the zoo (default: the run's, else ${d.model})`)
    .option('--model-options <json>', 'extra model constructor options as JSON', jsonObject)
    .addOption(new Option('-d, --data <name>', 'dataset').choices(datasetNames))
    .option('--data-dir <dir>', 'read the full dataset from this directory')
    .option('-w, --weights <file>', 'a checkpoint or state-dict .safetensors file')
    .option('-b, --batch-size <n>', 'batch size', positiveInt, 256)
    .option('--limit <n>', 'evaluate on only the first n test images', positiveInt)
    .option('--threads <n>', 'threads per kernel (default: all cores)', positiveInt)
    .option('--json', 'print the result as JSON', false)
    .action((args: EvalArgs) => runEval(args));
}

function runEval(a: EvalArgs): void {
  if (a.threads !== undefined) setNumThreads(a.threads);
  const config = a.run ? readRunConfig(a.run) : undefined;
  const modelName = a.model ?? config?.model ?? d.model;
  const dataName = a.data ?? config?.data ?? d.data;
  const weights = a.weights ?? (a.run ? path.join(a.run, 'model.safetensors') : undefined);
  if (!weights) throw new UsageError('give --weights <file> or --run <dir>');
  const data = loadData({
    data: dataName,
    dataDir: a.dataDir ?? config?.dataDir,
    batchSize: a.batchSize,
    seed: 0,
    limitTest: a.limit,
    limitTrain: 1,
  });
  const model = createModel(
    modelName,
    data.spec,
    a.modelOptions ?? config?.modelOptions ?? (a.model ? {} : d.modelOptions),
  );
  loadWeights(model, weights);
  const result = evaluate(model, data.test, { numClasses: data.spec.classes });
  if (a.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `${modelName} on ${dataName} (${result.count} test images): accuracy ${(result.top1 * 100).toFixed(2)}%, ` +
      `top-5 ${(result.top5 * 100).toFixed(2)}%, loss ${result.loss.toFixed(4)}`,
  );
  if (data.spec.classes <= 20) console.log(formatConfusion(result.confusion));
}

/** Rows: true class; columns: predicted. */
export function formatConfusion(matrix: number[][]): string {
  const width = Math.max(3, ...matrix.flat().map((v) => String(v).length)) + 1;
  const cell = (v: string | number) => String(v).padStart(width);
  const lines = [
    'confusion (rows: true class, columns: predicted)',
    cell('') + matrix.map((_, j) => cell(j)).join(''),
    ...matrix.map((row, i) => cell(i) + row.map(cell).join('')),
  ];
  return lines.join('\n');
}
