// Stochastic depth (Huang et al. 2016) on and off: the same CIFAR ResNet trained with
// stochasticDepthProb 0 and 0.2. With p > 0, block l of L drops its residual branch for each
// training sample with probability p * l / L (the linear decay rule; the last block drops with
// p), scaling survivors by 1 / (1 - p_l); evaluation uses every block. Shows learning curves:
// the dropped branches regularise (train loss higher) and the expected depth is shorter.
//
//   node -r ts-node/register/transpile-only examples/stochastic_depth.ts          # resnet20, ~2 min
//   node -r ts-node/register/transpile-only examples/stochastic_depth.ts --full   # resnet56, all data
//
// Option names: models.create('resnet20', { stochasticDepthProb }) (CifarResNet; the ImageNet
// ResNets take the same option). --p P sets the "on" probability (default 0.2).
// Default: resnet20 half width (8/16/32), 3,000 train / 1,000 test images, 5 epochs, SGD
// momentum 0.9, lr 0.1, wd 5e-4, per-step cosine. --full: resnet56 width 16/32/64, 10,000 /
// 2,000 images, 20 epochs (stochastic depth pays off on deep nets and long runs).
// Writes examples/out/stochastic_depth/: curves.svg, stochastic_depth.json, <run>/log.jsonl.
import * as path from 'path';
import { manualSeed, models, optim } from '../lib';
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
    { epochs: 20, trainSize: 10000, testSize: 2000 },
  );
  const argv = process.argv.slice(2);
  const p = argv.includes('--p') ? Number(argv[argv.indexOf('--p') + 1]) : 0.2;
  if (!(p > 0 && p < 1)) throw new RangeError('--p expects a probability in (0, 1)');
  const net = args.full ? 'resnet56' : 'resnet20';
  const widths: [number, number, number] = args.full ? [16, 32, 64] : [8, 16, 32];
  const dir = outDir('stochastic_depth');
  const { makeTrain, makeTest } = fashionLoaders(args);
  console.log(`stochastic_depth: ${net} with stochasticDepthProb 0 vs ${p}; widths ${widths.join('/')}; ` +
    `${args.trainSize} train / ${args.testSize} test images; ${args.epochs} epochs`);

  const probs = [0, p];
  const runs: RunResult[] = [];
  for (const prob of probs) {
    manualSeed(args.seed);
    const model = models.create(net, { inChannels: 1, widths, stochasticDepthProb: prob });
    const trainLoader = makeTrain();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
    const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: args.epochs * trainLoader.length });
    runs.push(
      await runFit(`${net}, stochastic depth p=${prob}`, model, {
        dir: path.join(dir, `p${prob}`),
        epochs: args.epochs,
        optimizer,
        scheduler,
        trainLoader,
        testLoader: makeTest(),
      }),
    );
  }

  // Expected number of residual branches run per training sample: sum of survival probabilities.
  const blocks = (Number(net.slice(6)) - 2) / 2;
  const expectedBlocks = (prob: number) =>
    Array.from({ length: blocks }, (_, l) => 1 - (prob * (l + 1)) / blocks).reduce((a, b) => a + b, 0);

  writeSvg(
    path.join(dir, 'curves.svg'),
    learningCurvesFigure(runs, `Stochastic depth on ${net} (Fashion-MNIST ${args.trainSize} images, widths ${widths.join('/')})`),
  );
  writeJson(path.join(dir, 'stochastic_depth.json'), {
    config: { ...args, net, widths, optimizer: 'SGD momentum 0.9 lr 0.1 wd 5e-4, cosine per step', batchSize: 128 },
    runs: runs.map((r, i) => ({
      stochasticDepthProb: probs[i],
      residualBlocks: blocks,
      expectedBlocksPerSample: expectedBlocks(probs[i]),
      ...runSummary(r),
    })),
  });
  console.log('\nsummary');
  runs.forEach((r, i) =>
    console.log(
      `  p=${String(probs[i]).padEnd(4)} expected blocks ${expectedBlocks(probs[i]).toFixed(1)}/${blocks}  ` +
        `test top-1 ${(r.finalTestTop1 * 100).toFixed(2)}%  train loss ${r.finalTrainLoss.toFixed(4)}  ` +
        `test loss ${(r.history[r.history.length - 1].valLoss ?? NaN).toFixed(4)}  ${r.seconds.toFixed(0)} s`,
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
