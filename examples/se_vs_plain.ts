// Squeeze-and-Excitation (Hu et al. 2018) on a CIFAR ResNet-20: the same net with and without an
// SE block in every residual branch, trained identically. Shows learning curves and what SE
// costs in parameters and MACs (profile.summary).
//
//   node -r ts-node/register/transpile-only examples/se_vs_plain.ts          # ~2 min
//   node -r ts-node/register/transpile-only examples/se_vs_plain.ts --full   # full width, all data
//
// The CIFAR ResNets (models.resnet20 ...) have no seBlock option (only the ImageNet-style ResNets
// do: se_resnet18 ..., 11.8M parameters, too slow here). But their blocks are the library's
// BasicBlock, whose `se` slot is what se_resnet* fills (seReduction): this example puts an
// nn.SqueezeExcitation(planes, planes / r) in that slot of each of resnet20's 9 blocks, after
// bn2 and before the skip addition (the SE-ResNet placement), initialised as the library's
// SE-ResNets (Kaiming normal, fan_out). The base net's weights are identical in both runs (same
// seed; the SE weights are drawn afterwards). Reduction r = 4 by default (--reduction N):
// with half width (8/16/32 channels) the paper's r = 16 would leave a 1-unit bottleneck.
//
// Default: half width (8/16/32), 3,000 train / 1,000 test images, 5 epochs, SGD momentum 0.9,
// lr 0.1, wd 5e-4, per-step cosine. --full: width 16/32/64, 10,000 / 2,000 images, 15 epochs.
// Writes examples/out/se_vs_plain/: curves.svg, se_vs_plain.json, <run>/log.jsonl.
import * as path from 'path';
import { manualSeed, models, nn, optim, profile } from '../lib';
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

/** Puts an SE block in every BasicBlock of `model` (in place); returns how many. */
function addSqueezeExcitation(model: nn.Module, reduction: number): number {
  let count = 0;
  for (const m of model.modules()) {
    if (m instanceof models.BasicBlock) {
      const planes = m.conv2.weight.shape[0];
      const se = new nn.SqueezeExcitation(planes, Math.max(1, Math.floor(planes / reduction)));
      for (const conv of [se.fc1, se.fc2])
        nn.init.kaimingNormal_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      m.se = se;
      count++;
    }
  }
  return count;
}

async function main() {
  const args = parseArgs(
    { epochs: 5, trainSize: 3000, testSize: 1000 },
    { epochs: 15, trainSize: 10000, testSize: 2000 },
  );
  const argv = process.argv.slice(2);
  const reduction = argv.includes('--reduction') ? Number(argv[argv.indexOf('--reduction') + 1]) : 4;
  if (!Number.isInteger(reduction) || reduction < 1) throw new RangeError('--reduction expects a positive integer');
  const widths: [number, number, number] = args.full ? [16, 32, 64] : [8, 16, 32];
  const dir = outDir('se_vs_plain');
  const { makeTrain, makeTest } = fashionLoaders(args);
  console.log(`se_vs_plain: resnet20 vs SE-resnet20 (r = ${reduction}); widths ${widths.join('/')}; ` +
    `${args.trainSize} train / ${args.testSize} test images; ${args.epochs} epochs`);

  const variants = [
    { name: 'resnet20', se: false },
    { name: 'se_resnet20', se: true },
  ];
  const runs: RunResult[] = [];
  const costs: Array<{ name: string; params: number; macs: number; seBlocks: number }> = [];
  for (const v of variants) {
    manualSeed(args.seed);
    const model = models.create('resnet20', { inChannels: 1, widths });
    const seBlocks = v.se ? addSqueezeExcitation(model, reduction) : 0;
    const s = profile.summary(model, [1, 28, 28, 1]);
    costs.push({ name: v.name, params: s.totals.params, macs: s.totals.macs, seBlocks });
    console.log(`${v.name}: ${s.totals.params.toLocaleString('en-US')} parameters, ` +
      `${(s.totals.macs / 1e6).toFixed(2)} M MACs per 28x28 image, ${seBlocks} SE blocks`);
    const trainLoader = makeTrain();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
    const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: args.epochs * trainLoader.length });
    runs.push(
      await runFit(v.name, model, {
        dir: path.join(dir, v.se ? 'se_resnet20' : 'resnet20'),
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
    learningCurvesFigure(runs, `ResNet-20 with vs without SE, r = ${reduction} (Fashion-MNIST ${args.trainSize} images, widths ${widths.join('/')})`),
  );
  writeJson(path.join(dir, 'se_vs_plain.json'), {
    config: { ...args, widths, reduction, optimizer: 'SGD momentum 0.9 lr 0.1 wd 5e-4, cosine per step', batchSize: 128 },
    runs: runs.map((r, i) => ({ ...runSummary(r), ...costs[i] })),
  });
  console.log('\nsummary');
  runs.forEach((r, i) =>
    console.log(
      `  ${r.name.padEnd(20)} ${costs[i].params.toLocaleString('en-US').padStart(7)} params  ` +
        `${(costs[i].macs / 1e6).toFixed(2)} M MACs  test top-1 ${(r.finalTestTop1 * 100).toFixed(2)}%  ` +
        `train loss ${r.finalTrainLoss.toFixed(4)}  ${r.seconds.toFixed(0)} s`,
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
