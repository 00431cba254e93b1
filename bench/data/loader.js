// Loader-only throughput: images/s of DataLoader over the bundled Fashion-MNIST subset (10,000
// train images, 28x28x1), batch 128, shuffled, with the usual augmentation, and variants.
// Compare ms/batch with a training step (a few ms per batch of 128 for a small CNN).
//   npm run build:ts && node bench/data/loader.js
'use strict';
const { data } = { data: require('../../dist/data') };
const { transforms: T } = data;

const train = data.datasets.fashionMnist({ train: true });
const batchSize = 128;
const mean = [0.286];
const std = [0.353];

const pipelines = {
  'normalize + randomCrop(28, pad 2) + flip (the reference)': T.compose([
    T.randomCrop(28, { padding: 2 }),
    T.randomHorizontalFlip(),
    T.normalize(mean, std),
  ]),
  'none (uint8 -> float /255)': undefined,
  'normalize only': T.normalize(mean, std),
  'resize 28->32 + randomCrop(32, pad 4) + flip + normalize': T.compose([
    T.resize(32),
    T.randomCrop(32, { padding: 4 }),
    T.randomHorizontalFlip(),
    T.normalize(mean, std),
  ]),
};

const results = [];
for (const [name, transform] of Object.entries(pipelines)) {
  const loader = new data.DataLoader(train, { batchSize, shuffle: true, seed: 1, transform });
  const wall = [];
  const cpu = [];
  for (let epoch = 0; epoch < 7; epoch++) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    let images = 0;
    for (const batch of loader) {
      images += batch.labels.length;
      batch.x.dispose();
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpuStart);
    const cpuSeconds = (used.user + used.system) / 1e6;
    if (epoch >= 2) {
      // the first epochs warm up the JIT
      wall.push(images / seconds);
      cpu.push(images / cpuSeconds);
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  results.push({ pipeline: name, wall: median(wall), cpu: median(cpu) });
}
console.log(
  `DataLoader over the bundled Fashion-MNIST subset (${train.length} images 28x28x1), batch ` +
    `${batchSize}, shuffle; medians of 5 epochs; 'cpu' divides by this process's CPU time, ` +
    'which a loaded shared machine inflates less than wall time',
);
const fmt = (rate) =>
  `${String(Math.round(rate)).padStart(8)} img/s ${((1000 * batchSize) / rate).toFixed(3)} ms/batch`;
for (const r of results)
  console.log(`${r.pipeline.padEnd(58)} wall ${fmt(r.wall)} | cpu ${fmt(r.cpu)}`);

// The appetite it feeds: one SGD step of a small CNN (2 conv + BN + ReLU + pool, linear) on the
// same batches, in the same run.
const { nn, optim, F, tidy } = require('../../dist');
const { timeMedian } = require('../common');
const model = new nn.Sequential(
  new nn.Conv2d(1, 32, 3, { padding: 1 }),
  new nn.BatchNorm2d(32),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Conv2d(32, 64, 3, { padding: 1 }),
  new nn.BatchNorm2d(64),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Linear(64 * 7 * 7, 10),
);
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const [batch] = new data.DataLoader(train, {
  batchSize,
  transform: pipelines[Object.keys(pipelines)[0]],
});
const step = () =>
  tidy(() => {
    optimizer.zeroGrad();
    F.crossEntropy(model.forward(batch.x), batch.labels).backward();
    optimizer.step();
  });
const stepMs = 1000 * timeMedian(step, { runs: 15, warmup: 3 });
const reference = results[0];
console.log(
  `small CNN SGD step (conv32-conv64, batch ${batchSize}): ${stepMs.toFixed(2)} ms/batch; ` +
    `the reference loader pipeline is ${((100 * (1000 * batchSize)) / reference.wall / stepMs).toFixed(1)}% of it (wall)`,
);
require('../common').writeResults('data-loader', {
  batchSize,
  images: train.length,
  results,
  smallCnnStepMs: stepMs,
});
