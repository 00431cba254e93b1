// Adam (lr 0.001) vs SGD with momentum (0.9, lr 0.1) on the same ResNet-20, same initial weights
// and same batches. Shows learning curves (train loss, train and test accuracy per epoch); the
// JSON also has each epoch's test loss and learning rate.
//
//   node -r ts-node/register/transpile-only examples/adam_vs_sgd.ts          # ~2 min
//   node -r ts-node/register/transpile-only examples/adam_vs_sgd.ts --full   # full width, all data
//
// Both use weight decay 5e-4 (coupled L2, as torch.optim's `weight_decay`) and the same per-step
// cosine schedule from their base lr to 0, so the only difference is the update rule and its lr.
// Default: half width (8/16/32), 3,000 train / 1,000 test images, 5 epochs, batch 128.
// --full: width 16/32/64, 10,000 / 2,000 images, 15 epochs.
// Writes examples/out/adam_vs_sgd/: curves.svg, adam_vs_sgd.json, <run>/log.jsonl.
import * as path from 'path';
import { manualSeed, models, optim } from '../lib';
import type { Tensor } from '../lib';
import {
  fashionLoaders,
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
  const dir = outDir('adam_vs_sgd');
  const { makeTrain, makeTest } = fashionLoaders(args);
  console.log(`adam_vs_sgd: resnet20, widths ${widths.join('/')}; ` +
    `${args.trainSize} train / ${args.testSize} test images; ${args.epochs} epochs`);

  const variants = [
    {
      name: 'SGD momentum 0.9, lr 0.1',
      key: 'sgd',
      make: (p: Tensor[]) =>
        new optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 }),
    },
    {
      name: 'Adam, lr 0.001',
      key: 'adam',
      make: (p: Tensor[]) =>
        new optim.Adam(p, { lr: 0.001, weightDecay: 5e-4 }),
    },
  ];
  const runs: RunResult[] = [];
  for (const v of variants) {
    manualSeed(args.seed);
    const model = models.create('resnet20', { inChannels: 1, widths });
    const trainLoader = makeTrain();
    const optimizer = v.make(model.parameters());
    const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: args.epochs * trainLoader.length });
    runs.push(
      await runFit(v.name, model, {
        dir: path.join(dir, v.key),
        epochs: args.epochs,
        optimizer,
        scheduler,
        trainLoader,
        testLoader: makeTest(),
      }),
    );
  }

  writeSvg(
    path.join(dir, 'curves.svg'),
    learningCurvesFigure(runs, `Adam vs SGD on ResNet-20 (Fashion-MNIST ${args.trainSize} images, widths ${widths.join('/')})`),
  );
  writeJson(path.join(dir, 'adam_vs_sgd.json'), {
    config: { ...args, widths, model: 'resnet20', schedule: 'cosine per step to 0', weightDecay: 5e-4, batchSize: 128 },
    runs: runs.map((r, i) => ({ optimizer: variants[i].key, ...runSummary(r) })),
  });
  console.log('\nsummary');
  for (const r of runs)
    console.log(
      `  ${r.name.padEnd(26)} test top-1 ${(r.finalTestTop1 * 100).toFixed(2)}%  ` +
        `(best ${(Math.max(...r.history.map((h) => h.valTop1 ?? 0)) * 100).toFixed(2)}%)  ` +
        `train loss ${r.finalTrainLoss.toFixed(4)}  ${r.seconds.toFixed(0)} s`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
