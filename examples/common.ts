// Shared helpers of the examples (not an example itself): command-line flags, the Fashion-MNIST
// subset loaders, one training run through train.fit with a per-step hook, gradient norms, and
// writing figures (train.lineChartSvg) and JSON under examples/out/<name>/.
import * as fs from 'fs';
import * as path from 'path';
import { data, nn, optim, train } from '../lib';
import type { Tensor } from '../lib';

export interface ExampleArgs {
  full: boolean;
  epochs: number;
  trainSize: number;
  testSize: number;
  seed: number;
}

/**
 * `--full` switches to the long defaults; `--epochs N`, `--train N`, `--test N`, `--seed N`
 * override either. The bundled subset has 10,000 train / 2,000 test images.
 */
export function parseArgs(
  quick: { epochs: number; trainSize: number; testSize: number },
  full: { epochs: number; trainSize: number; testSize: number },
): ExampleArgs {
  const argv = process.argv.slice(2);
  const isFull = argv.includes('--full');
  const value = (flag: string): number | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${flag} expects a positive integer`);
    return v;
  };
  const base = isFull ? full : quick;
  return {
    full: isFull,
    epochs: value('--epochs') ?? base.epochs,
    trainSize: Math.min(10000, value('--train') ?? base.trainSize),
    testSize: Math.min(2000, value('--test') ?? base.testSize),
    seed: value('--seed') ?? 1,
  };
}

const MEAN = [0.286];
const STD = [0.353];

/** The first `trainSize` / `testSize` images of the bundled Fashion-MNIST subset (28x28x1). */
export function fashionLoaders(args: ExampleArgs, batchSize = 128) {
  const T = data.transforms;
  const first = (n: number) => Array.from({ length: n }, (_, i) => i);
  const trainSet = new data.Subset(data.datasets.fashionMnist({ train: true }), first(args.trainSize));
  const testSet = new data.Subset(data.datasets.fashionMnist({ train: false }), first(args.testSize));
  // A loader per run, same seed: every model sees the same batches in the same order.
  const makeTrain = () =>
    new data.DataLoader(trainSet, {
      batchSize,
      shuffle: true,
      seed: args.seed,
      transform: T.compose([
        T.randomCrop(28, { padding: 2 }),
        T.randomHorizontalFlip(),
        T.normalize(MEAN, STD),
      ]),
    });
  const makeTest = () =>
    new data.DataLoader(testSet, { batchSize: 250, transform: T.normalize(MEAN, STD) });
  return { makeTrain, makeTest };
}

/** Euclidean norm of a tensor's gradient (NaN when it has none). */
export function gradNorm(t: Tensor): number {
  const g = t.grad;
  if (!g) return NaN;
  let s = 0;
  for (const v of g.data) s += v * v;
  return Math.sqrt(s);
}

export interface RunResult {
  name: string;
  history: train.EpochRecord[];
  finalTestTop1: number;
  finalTrainLoss: number;
  seconds: number;
}

/**
 * Trains `model` with train.fit (log.jsonl and curves.svg in `dir`). `afterBackward`, when
 * given, runs after every backward pass, just before the optimizer step: fit calls
 * optimizer.step() right after loss.backward(), so the hook wraps step().
 */
export async function runFit(
  name: string,
  model: nn.Module,
  options: {
    dir: string;
    epochs: number;
    optimizer: optim.Optimizer;
    scheduler?: train.Scheduler;
    trainLoader: train.Loader;
    testLoader: train.Loader;
    afterBackward?: () => void;
  },
): Promise<RunResult> {
  const { optimizer } = options;
  if (options.afterBackward) {
    const hook = options.afterBackward;
    const step = optimizer.step.bind(optimizer);
    optimizer.step = () => {
      hook();
      step();
    };
  }
  const t0 = performance.now();
  console.log(`\n== ${name}`);
  const result = await train.fit(model, {
    train: options.trainLoader,
    val: options.testLoader,
    epochs: options.epochs,
    optimizer,
    scheduler: options.scheduler,
    schedulerInterval: 'step',
    log: { dir: options.dir, progress: 'auto', title: name },
  });
  const seconds = (performance.now() - t0) / 1000;
  const last = result.history[result.history.length - 1];
  return {
    name,
    history: result.history,
    finalTestTop1: last.valTop1 ?? NaN,
    finalTrainLoss: last.trainLoss,
    seconds,
  };
}

/** examples/out/<name>/ (created). */
export function outDir(name: string): string {
  const dir = path.join(__dirname, 'out', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

export function writeSvg(file: string, svg: string): void {
  fs.writeFileSync(file, svg);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

export const percent = (v: number) => `${Number((v * 100).toPrecision(4))}%`;

/**
 * The standard comparison figure: train loss, train top-1 and test top-1 per epoch, one line per
 * run (same colour per run in every panel). Test loss is left to the JSON: BatchNorm's running
 * statistics make the first epochs' test loss spike by orders of magnitude, which flattens the
 * rest of a linear plot.
 */
export function learningCurvesFigure(runs: RunResult[], title: string): string {
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
  const series = (key: 'trainLoss' | 'trainTop1' | 'valTop1') =>
    runs.map((r, i) => ({
      name: r.name,
      color: palette[i % palette.length],
      points: r.history.map((h): [number, number] => [h.epoch, h[key] ?? NaN]),
    }));
  return train.lineChartSvg(
    [
      { title: 'Train loss', xLabel: 'epoch', yLabel: 'loss', series: series('trainLoss') },
      {
        title: 'Train top-1 accuracy',
        xLabel: 'epoch',
        yLabel: 'accuracy',
        formatY: percent,
        legend: 'bottom-right',
        series: series('trainTop1'),
      },
      {
        title: 'Test top-1 accuracy',
        xLabel: 'epoch',
        yLabel: 'accuracy',
        formatY: percent,
        legend: 'bottom-right',
        series: series('valTop1'),
      },
    ],
    { title, panelWidth: 420, panelHeight: 300 },
  );
}

/** Numbers of one run for the JSON summaries. */
export function runSummary(r: RunResult) {
  return {
    name: r.name,
    seconds: Number(r.seconds.toFixed(1)),
    finalTrainLoss: r.finalTrainLoss,
    finalTestTop1: r.finalTestTop1,
    bestTestTop1: Math.max(...r.history.map((h) => h.valTop1 ?? 0)),
    epochs: r.history.map((h) => ({
      epoch: h.epoch,
      lr: h.lr,
      trainLoss: h.trainLoss,
      trainTop1: h.trainTop1,
      testLoss: h.valLoss,
      testTop1: h.valTop1,
    })),
  };
}
