// `convkit train`: a model from the zoo on a dataset, with fit's progress, log, curves and
// checkpoints in the run directory, and a final evaluation on the test split.
import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { saveStateDict } from '../../io/checkpoint';
import { manualSeed } from '../../random';
import { info, setNumThreads } from '../../runtime';
import { evaluate, fit } from '../../train';
import type { ProgressMode } from '../../train/progress';
import { augmentModes, datasetNames, loadData } from '../data';
import type { AugmentMode } from '../data';
import { trainDefaults as d } from '../defaults';
import {
  jsonObject,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  exit,
  unitInterval,
  UsageError,
} from '../options';
import {
  createModel,
  createOptimizer,
  createScheduler,
  modelInfo,
  optimizerNames,
  readRunConfig,
  RunConfig,
  scheduleNames,
} from '../setup';

export interface TrainArgs {
  model: string;
  modelOptions: Record<string, unknown>;
  data: string;
  dataDir?: string;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: string;
  labelSmoothing: number;
  augment: AugmentMode | 'auto';
  seed: number;
  out?: string;
  resume: boolean;
  threads?: number;
  limitTrain?: number;
  limitTest?: number;
  checkpointEvery: number;
  progress: ProgressMode;
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train a zoo model on a dataset; writes log.jsonl, curves.svg and checkpoints')
    .option('-m, --model <name>', 'model from the zoo (see `convkit models`)', d.model)
    .option(
      '--model-options <json>',
      'extra model constructor options as JSON',
      jsonObject,
      d.modelOptions,
    )
    .addOption(new Option('-d, --data <name>', 'dataset').choices(datasetNames).default(d.data))
    .option(
      '--data-dir <dir>',
      'read the full dataset from this directory (default: bundled subset)',
    )
    .option('-e, --epochs <n>', 'epochs', positiveInt, d.epochs)
    .option('-b, --batch-size <n>', 'batch size', positiveInt, d.batchSize)
    .addOption(
      new Option('--optimizer <name>', 'optimizer').choices(optimizerNames).default(d.optimizer),
    )
    .option('--lr <x>', 'learning rate (the peak for onecycle)', positiveNumber, d.lr)
    .option('--momentum <x>', 'momentum (sgd, rmsprop)', nonNegativeNumber, d.momentum)
    .option('--weight-decay <x>', 'weight decay', nonNegativeNumber, d.weightDecay)
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule')
        .choices(scheduleNames)
        .default(d.schedule),
    )
    .option('--label-smoothing <x>', 'label smoothing in [0, 1)', unitInterval, d.labelSmoothing)
    .addOption(
      new Option('--augment <mode>', "training augmentation ('auto': crop-flip for CIFAR)")
        .choices(['auto', ...augmentModes])
        .default(d.augment),
    )
    .option('--seed <n>', 'seed for initialization and shuffling', nonNegativeInt, d.seed)
    .option('-o, --out <dir>', 'run directory (default: runs/<model>-<data>-<time>)')
    .option('--resume', 'continue the run in --out from its last checkpoint', false)
    .option('--threads <n>', 'threads per kernel (default: all cores)', positiveInt)
    .option('--limit-train <n>', 'use only the first n training images per epoch', positiveInt)
    .option('--limit-test <n>', 'evaluate on only the first n test images', positiveInt)
    .option('--checkpoint-every <n>', 'checkpoint every n epochs', positiveInt, d.checkpointEvery)
    .addOption(
      new Option('--progress <mode>', 'progress display: bars on a terminal, else lines')
        .choices(['auto', 'bar', 'lines', 'none'])
        .default('auto'),
    )
    .action(async (args: TrainArgs, command: Command) => {
      exit.code = await runTrain(args.resume ? withRunConfig(args, command) : args);
    });
}

const RESTORED: Array<keyof TrainArgs> = [
  'model',
  'modelOptions',
  'data',
  'dataDir',
  'epochs',
  'batchSize',
  'optimizer',
  'lr',
  'momentum',
  'weightDecay',
  'schedule',
  'labelSmoothing',
  'augment',
  'seed',
  'limitTrain',
  'limitTest',
  'checkpointEvery',
];

/**
 * `--resume --out runs/x` continues with the options the run started with: every option not
 * given on this command line comes from runs/x/config.json.
 */
function withRunConfig(args: TrainArgs, command: Command): TrainArgs {
  if (!args.out) throw new UsageError('--resume needs --out <run dir> of the run to continue');
  const config = readRunConfig(args.out) as Partial<TrainArgs>;
  const merged: Record<string, unknown> = { ...args };
  for (const key of RESTORED)
    if (key in config && command.getOptionValueSource(key) !== 'cli') merged[key] = config[key];
  return merged as unknown as TrainArgs;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*/, '');
}

export async function runTrain(a: TrainArgs): Promise<number> {
  if (a.resume && !a.out)
    throw new UsageError('--resume needs --out <run dir> of the run to continue');
  if (a.threads !== undefined) setNumThreads(a.threads);
  const out = a.out ?? path.join('runs', `${a.model}-${a.data}-${timestamp()}`);
  if (a.resume && !fs.existsSync(path.join(out, 'last.safetensors')))
    throw new UsageError(`--resume: no checkpoint in ${out} (last.safetensors)`);

  modelInfo(a.model); // fail fast, before reading any data
  manualSeed(a.seed);
  const data = loadData({
    data: a.data,
    dataDir: a.dataDir,
    batchSize: a.batchSize,
    seed: a.seed,
    limitTrain: a.limitTrain,
    limitTest: a.limitTest,
    augment: a.augment,
  });
  const model = createModel(a.model, data.spec, a.modelOptions);
  const optimizer = createOptimizer(model, a);
  const { scheduler, interval } = createScheduler(
    a.schedule,
    optimizer,
    a.epochs,
    data.train.length,
    a.lr,
  );

  fs.mkdirSync(out, { recursive: true });
  const config: RunConfig = { ...a, out, version: info().version };
  fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  const rt = info();
  console.log(
    `convkit train: ${a.model} (${params.toLocaleString('en-US')} params) on ${a.data}, ` +
      `${a.epochs} epochs x ${data.train.length} batches of ${a.batchSize}, ` +
      `${a.optimizer} lr ${a.lr} ${a.schedule}; ${rt.isa}, ${rt.threads} threads; run dir ${out}`,
  );

  // Time to first step: from process start to the end of the first optimizer update.
  let firstStepSeconds: number | null = null;
  const result = await fit(model, {
    onStepEnd: () => {
      if (firstStepSeconds === null) firstStepSeconds = process.uptime();
    },
    train: data.train,
    val: data.test,
    epochs: a.epochs,
    optimizer,
    scheduler,
    schedulerInterval: interval,
    labelSmoothing: a.labelSmoothing,
    checkpoint: { dir: out, every: a.checkpointEvery },
    resume: a.resume,
    log: { dir: out, progress: a.progress, title: `${a.model} on ${a.data}` },
  });
  if (result.interrupted) {
    console.log(
      `stopped; continue with: convkit train --out ${out} --resume (and the same options)`,
    );
    return 130;
  }
  saveStateDict(model, path.join(out, 'model.safetensors'));
  const final = evaluate(model, data.test, { numClasses: data.spec.classes });
  const timing = { firstStepSeconds, totalSeconds: process.uptime() };
  fs.writeFileSync(
    path.join(out, 'eval.json'),
    JSON.stringify({ ...final, timing }, null, 1) + '\n',
  );
  console.log(
    `test: accuracy ${(final.top1 * 100).toFixed(2)}% (top-5 ${(final.top5 * 100).toFixed(2)}%), ` +
      `loss ${final.loss.toFixed(4)} on ${final.count} images`,
  );
  if (firstStepSeconds !== null)
    console.log(
      `time: first step ${(firstStepSeconds as number).toFixed(1)} s after start, ` +
        `total ${timing.totalSeconds.toFixed(1)} s`,
    );
  console.log(
    `wrote ${path.join(out, 'curves.svg')}, log.jsonl, model.safetensors, last.safetensors, eval.json`,
  );
  return 0;
}
