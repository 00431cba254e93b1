// The degradation problem (He et al. 2015, Fig. 6): a plain net and the same net with skip
// connections, trained identically. Shows learning curves (train loss, train and test accuracy
// per epoch; test loss in the JSON): the plain net trains worse, in training error, not only in
// test error. Also records the gradient norm of the first conv layer's weight (conv1.weight)
// after every backward pass. With BatchNorm these norms do not vanish in the plain net (He et
// al. make the same point: the plain nets' difficulty is optimisation, not vanishing
// gradients); compare the two pairs with --full to see how depth changes them.
//
//   node -r ts-node/register/transpile-only examples/degradation.ts          # plain20 vs resnet20, ~2.5 min
//   node -r ts-node/register/transpile-only examples/degradation.ts --full   # + plain56 vs resnet56, all data
//
// Default: half-width CIFAR nets (widths 8/16/32), inChannels 1, 3,000 train / 1,000 test
// images of the bundled Fashion-MNIST subset, 5 epochs, SGD (momentum 0.9, lr 0.1, weight decay
// 5e-4) with a per-step cosine schedule; the same seed, initialisation RNG state and batch order
// for every net. --full: full width, 10,000 / 2,000 images, 15 epochs, and the 56-layer pair.
// Writes examples/out/degradation/: curves.svg, grad_norm.svg, degradation.json, and each run's
// train.fit log (<net>/log.jsonl, <net>/curves.svg).
import * as path from 'path';
import { manualSeed, models, optim, train } from '../lib';
import type { Tensor } from '../lib';
import {
  fashionLoaders,
  gradNorm,
  learningCurvesFigure,
  outDir,
  parseArgs,
  runFit,
  runSummary,
  writeJson,
  writeSvg,
  RunResult,
} from './common';

async function main() {
  const args = parseArgs(
    { epochs: 5, trainSize: 3000, testSize: 1000 },
    { epochs: 15, trainSize: 10000, testSize: 2000 },
  );
  const widths: [number, number, number] = args.full ? [16, 32, 64] : [8, 16, 32];
  const names = args.full ? ['plain20', 'resnet20', 'plain56', 'resnet56'] : ['plain20', 'resnet20'];
  const dir = outDir('degradation');
  const { makeTrain, makeTest } = fashionLoaders(args);
  console.log(`degradation: ${names.join(', ')}; widths ${widths.join('/')}; ` +
    `${args.trainSize} train / ${args.testSize} test images; ${args.epochs} epochs`);

  const runs: Array<RunResult & { gradNorms: number[] }> = [];
  for (const name of names) {
    manualSeed(args.seed);
    const model = models.create(name, { inChannels: 1, widths });
    const trainLoader = makeTrain();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
    const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: args.epochs * trainLoader.length });
    const conv1 = (model as unknown as { conv1: { weight: Tensor } }).conv1;
    const gradNorms: number[] = [];
    const run = await runFit(name, model, {
      dir: path.join(dir, name),
      epochs: args.epochs,
      optimizer,
      scheduler,
      trainLoader,
      testLoader: makeTest(),
      afterBackward: () => gradNorms.push(gradNorm(conv1.weight)),
    });
    runs.push({ ...run, gradNorms });
    const first = gradNorms.slice(0, 10);
    console.log(
      `${name}: final test top-1 ${(run.finalTestTop1 * 100).toFixed(2)}%, final train loss ` +
        `${run.finalTrainLoss.toFixed(4)}, ||grad conv1.weight|| mean of first 10 steps ` +
        `${mean(first).toExponential(3)}, of all ${gradNorms.length} steps ${mean(gradNorms).toExponential(3)}`,
    );
  }

  writeSvg(
    path.join(dir, 'curves.svg'),
    learningCurvesFigure(runs, `Plain vs residual (Fashion-MNIST ${args.trainSize} images, widths ${widths.join('/')})`),
  );

  // Gradient norm per step, raw (thin) and smoothed over 10 steps; log10 scale as the gap spans
  // orders of magnitude in deep plain nets.
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'];
  const stepsPerEpoch = runs[0].gradNorms.length / args.epochs;
  writeSvg(
    path.join(dir, 'grad_norm.svg'),
    train.lineChartSvg(
      [
        {
          title: '‖∇ conv1.weight‖ per step (log10)',
          xLabel: 'step',
          yLabel: 'log10 norm',
          series: runs.map((r, i) => ({
            name: r.name,
            color: palette[i % palette.length],
            points: r.gradNorms.map((g, s): [number, number] => [s + 1, Math.log10(g)]),
          })),
        },
        {
          title: `Moving average of 10 steps (${stepsPerEpoch} steps/epoch)`,
          xLabel: 'step',
          yLabel: 'norm',
          series: runs.map((r, i) => ({
            name: r.name,
            color: palette[i % palette.length],
            points: movingAverage(r.gradNorms, 10).map((g, s): [number, number] => [s + 10, g]),
          })),
        },
      ],
      { title: 'Gradient norm of the first conv layer', panelWidth: 520, panelHeight: 320 },
    ),
  );

  writeJson(path.join(dir, 'degradation.json'), {
    config: { ...args, widths, optimizer: 'SGD momentum 0.9 lr 0.1 wd 5e-4, cosine per step', batchSize: 128 },
    runs: runs.map((r) => ({
      ...runSummary(r),
      gradNormConv1: {
        meanFirst10Steps: mean(r.gradNorms.slice(0, 10)),
        meanLastEpoch: mean(r.gradNorms.slice(-stepsPerEpoch)),
        mean: mean(r.gradNorms),
        perStep: r.gradNorms.map((g) => Number(g.toPrecision(5))),
      },
    })),
  });
  console.log('\nsummary');
  for (const r of runs)
    console.log(
      `  ${r.name.padEnd(9)} test top-1 ${(r.finalTestTop1 * 100).toFixed(2)}%  train loss ` +
        `${r.finalTrainLoss.toFixed(4)}  grad-norm conv1 first-10 ${mean(r.gradNorms.slice(0, 10)).toExponential(2)} ` +
        `mean ${mean(r.gradNorms).toExponential(2)}  ${r.seconds.toFixed(0)} s`,
    );
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function movingAverage(xs: number[], k: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
    if (i >= k) s -= xs[i - k];
    if (i >= k - 1) out.push(s / k);
  }
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
