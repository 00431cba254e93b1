// Whole-model speed: training images/s (SGD step: forward + backward + update) and inference
// images/s at the compass sizes, with peak RSS, side by side with PyTorch 1.13 in the same run
// (best of NCHW / channels_last, 2 threads) when /usr/bin/python3 has torch. Each model runs in
// its own process so peak RSS is its own. On a shared machine the speed of both sides drifts
// from minute to minute, so each model runs in rounds, ours then PyTorch's, alternating: the
// ratio is the median of the rounds' ratios (each from measurements seconds apart), the
// images/s the medians of each side's rounds, RSS the largest. PyTorch's memory format is the
// one with the higher median over all rounds, and every round compares with that format: the
// better of two noisy timings taken afresh in each round would favour PyTorch by the noise
// (~5% at this machine's +-10%), not by its speed.
//   npm run bench -- models [--quick] [--rounds N] [name ...]   (3 rounds; --quick: 1, 3 steps)
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const { writeResults, pct } = require('./common');

const compass = [
  {
    name: 'resnet18',
    options: { numClasses: 10, cifarStem: true },
    size: 32,
    batch: 64,
    label: 'resnet18 (CIFAR stem)',
  },
  { name: 'resnet50', options: {}, size: 224, batch: 16 },
  { name: 'resnext50_32x4d', options: {}, size: 224, batch: 16 },
  { name: 'densenet121', options: {}, size: 224, batch: 16 },
  { name: 'mobilenet_v2', options: {}, size: 224, batch: 16 },
  { name: 'efficientnet_b0', options: {}, size: 224, batch: 16 },
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs in the child process: one model, prints one JSON line. */
function child(spec, steps) {
  const { F, models, native, noGrad, optim, profile, randn, runtime, tidy } = require('../dist');
  const { native: addon } = require('../dist/native');
  const model = models.create(spec.name, spec.options);
  const shape = [spec.batch, spec.size, spec.size, 3];
  const macsPerImage = profile.summary(model, [1, spec.size, spec.size, 3]).totals.macs;
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = randn(shape);
  const labels = Array.from({ length: spec.batch }, (_, i) => i % 10);
  const timeIt = (fn, n) => {
    fn(); // warm-up
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      fn();
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return median(times);
  };
  model.train();
  const trainStep = timeIt(
    () =>
      tidy(() => {
        opt.zeroGrad();
        F.crossEntropy(model.forward(x), labels).backward();
        opt.step();
      }),
    steps,
  );
  model.eval();
  // Returns nothing from tidy, so every output is freed to the pool (see bench/blocks.js).
  const inferStep = timeIt(
    () =>
      tidy(() => {
        noGrad(() => model.forward(x));
      }),
    steps,
  );
  const info = runtime.info();
  const peak = addon.fmaPeak(info.isa, info.threads, 0.3);
  void native;
  console.log(
    JSON.stringify({
      trainImagesPerSecond: spec.batch / trainStep,
      inferImagesPerSecond: spec.batch / inferStep,
      trainingGflops: (6 * macsPerImage * spec.batch) / trainStep / 1e9,
      peakGflops: peak,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

function runTorch(spec, steps) {
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [
        path.join(__dirname, 'torch', 'models.py'),
        spec.name,
        String(spec.size),
        String(spec.batch),
        JSON.stringify(spec.options),
        String(steps),
      ],
      {
        env: { ...process.env, OMP_NUM_THREADS: '2' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    return JSON.parse(out.trim().split('\n').pop());
  } catch {
    return null;
  }
}

function runOurs(spec, steps) {
  const out = execFileSync(
    process.execPath,
    [__filename, '--child', JSON.stringify(spec), String(steps)],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * PyTorch's rounds in its better memory format for `key` (by the median over the rounds):
 * [format name, that format's result of each round with the round's RSS].
 */
function torchFormat(rounds, key) {
  const names = Object.keys(rounds[0].formats);
  const byMedian = (name) => median(rounds.map((r) => r.formats[name][key]));
  const best = names.reduce((a, b) => (byMedian(b) > byMedian(a) ? b : a));
  return [best, rounds.map((r) => ({ ...r.formats[best], maxRssMB: r.maxRssMB }))];
}

/** The rounds' results as one: medians of the speeds, the largest RSS, the last peak. */
function combine(results) {
  if (results.some((r) => r === null)) return null;
  const med = (key) => median(results.map((r) => r[key]));
  const combined = { ...results[results.length - 1] };
  for (const key of ['trainImagesPerSecond', 'inferImagesPerSecond', 'trainingGflops'])
    if (key in combined) combined[key] = med(key);
  combined.maxRssMB = Math.max(...results.map((r) => r.maxRssMB));
  return combined;
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(JSON.parse(args[1]), Number(args[2]));
  const quick = args.includes('--quick');
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : quick ? 1 : 3;
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new RangeError(`bench models: --rounds takes an integer >= 1, not ${args[roundsAt + 1]}`);
  const names = args.filter(
    (a, i) => !a.startsWith('--') && !(roundsAt >= 0 && i === roundsAt + 1),
  );
  const steps = quick ? 3 : 7;
  const rows = [];
  console.log(
    `${'model'.padEnd(24)} ${'train img/s'.padStart(11)} ${'torch'.padStart(7)} ${'ratio'.padStart(6)} ${'% peak'.padStart(7)} ${'infer img/s'.padStart(11)} ${'torch'.padStart(7)} ${'RSS MB'.padStart(7)} ${'torch'.padStart(7)}  ratio per round`,
  );
  for (const spec of compass.filter((s) => !names.length || names.includes(s.name))) {
    const oursRounds = [];
    const torchRounds = [];
    for (let r = 0; r < rounds; r++) {
      oursRounds.push(runOurs(spec, steps));
      torchRounds.push(runTorch(spec, steps));
    }
    const ours = combine(oursRounds);
    const haveTorch = torchRounds.every((r) => r !== null);
    const [trainFormat, torchTrain] = haveTorch
      ? torchFormat(torchRounds, 'trainImagesPerSecond')
      : [];
    const [inferFormat, torchInfer] = haveTorch
      ? torchFormat(torchRounds, 'inferImagesPerSecond')
      : [];
    const torch = haveTorch
      ? {
          ...combine(torchTrain),
          inferImagesPerSecond: combine(torchInfer).inferImagesPerSecond,
          trainFormat,
          inferFormat,
        }
      : null;
    const roundRatios = torch
      ? oursRounds.map((o, i) => o.trainImagesPerSecond / torchTrain[i].trainImagesPerSecond)
      : [];
    const row = {
      model: spec.label ?? spec.name,
      size: spec.size,
      batch: spec.batch,
      convkit: ours,
      torch,
      rounds: { convkit: oursRounds, torch: torchRounds, trainRatios: roundRatios },
      trainRatio: torch ? median(roundRatios) : null,
      rssRatio: torch ? ours.maxRssMB / torch.maxRssMB : null,
    };
    rows.push(row);
    const f = (v, d = 1) => (v === null || v === undefined ? '-' : v.toFixed(d));
    console.log(
      `${row.model.padEnd(24)} ${f(ours.trainImagesPerSecond).padStart(11)} ${f(torch?.trainImagesPerSecond).padStart(7)} ${f(row.trainRatio, 2).padStart(6)} ${pct(ours.trainingGflops / ours.peakGflops).padStart(7)} ${f(ours.inferImagesPerSecond).padStart(11)} ${f(torch?.inferImagesPerSecond).padStart(7)} ${f(ours.maxRssMB, 0).padStart(7)} ${f(torch?.maxRssMB, 0).padStart(7)}  ${roundRatios.map((v) => v.toFixed(2)).join(' ')}${torch ? ` (torch ${trainFormat})` : ''}`,
    );
  }
  writeResults('models', { rounds, steps, rows });
}

main();
