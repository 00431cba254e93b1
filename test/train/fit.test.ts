// The trainer on a tiny synthetic task: learning, the run directory (log.jsonl, curves.svg,
// checkpoint), exact resume (after whole epochs and after Ctrl-C mid-epoch), evaluate.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { manualSeed, nn, optim, tensor } from '../../lib';
import { Batch, evaluate, fit, FitOptions } from '../../lib/train';
import { ArrayLoader, quadrantData, tinyNet } from './fit_helpers';
import { checkWellFormed } from './fit_svg_check';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-fit-'));
const quiet = { progress: 'none' as const };

function parametersOf(model: nn.Module): Float32Array[] {
  return [...model.stateDict().values()].map((t) => Float32Array.from(t.data));
}

test('fit learns the task and writes log.jsonl, curves.svg and a checkpoint', async () => {
  manualSeed(0);
  const model = tinyNet();
  const train = new ArrayLoader(quadrantData(64, 1), 16, 'epoch', 3);
  const val = new ArrayLoader(quadrantData(32, 2), 16);
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const dir = tmp();
  const lines: string[] = [];
  const stream = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
  const result = await fit(model, {
    train,
    val,
    epochs: 6,
    optimizer,
    scheduler: new optim.CosineAnnealingLR(optimizer, { tMax: 6 * train.length }),
    schedulerInterval: 'step',
    labelSmoothing: 0.1,
    checkpoint: { dir },
    log: { dir, progress: 'lines', stream },
  });
  expect(result.interrupted).toBe(false);
  expect(result.history).toHaveLength(6);
  const first = result.history[0];
  const last = result.history[5];
  expect(last.trainLoss).toBeLessThan(first.trainLoss * 0.7);
  expect(last.valTop1).toBeGreaterThanOrEqual(0.9);
  expect(last.lr).toBeLessThan(first.lr); // cosine, stepped per batch

  const log = fs
    .readFileSync(path.join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(log).toHaveLength(6);
  expect(log.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
  for (const r of log) {
    for (const key of ['trainLoss', 'trainTop1', 'trainTop5', 'valLoss', 'valTop1', 'valTop5'])
      expect(Number.isFinite(r[key])).toBe(true);
    expect(r.images).toBe(64);
    expect(r.imagesPerSecond).toBeGreaterThan(0);
    expect(r.trainSeconds).toBeGreaterThan(0);
  }
  const svg = fs.readFileSync(path.join(dir, 'curves.svg'), 'utf8');
  checkWellFormed(svg);
  expect(svg).toContain('<polyline');
  expect(fs.existsSync(path.join(dir, 'last.safetensors'))).toBe(true);
  // One summary line per epoch in the plain-lines progress.
  expect(lines.filter((l) => /^epoch \d\/6 \| train loss/.test(l))).toHaveLength(6);
});

async function run(
  seed: number,
  shuffle: 'epoch' | 'global',
  options: Partial<FitOptions> & { epochs: number },
  beforeStep?: (loader: ArrayLoader) => void,
) {
  manualSeed(seed);
  const model = tinyNet(0.25);
  const optimizer = new optim.SGD(model.parameters(), {
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 1e-3,
  });
  const train = new ArrayLoader(quadrantData(40, 5), 8, shuffle, 7);
  beforeStep?.(train);
  const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: 2 * train.length });
  const result = await fit(model, {
    train,
    optimizer,
    scheduler,
    schedulerInterval: 'step',
    log: quiet,
    ...options,
  });
  return { model, result };
}

describe.each(['epoch', 'global'] as const)('resume (%s shuffle)', (shuffle) => {
  test('2 epochs straight equal 1 epoch + resume + 1 epoch, bit for bit', async () => {
    const straight = await run(11, shuffle, { epochs: 2 });
    const dir = tmp();
    await run(11, shuffle, { epochs: 1, checkpoint: { dir } });
    // A different seed: everything must come from the checkpoint.
    const resumed = await run(99, shuffle, { epochs: 2, checkpoint: { dir }, resume: true });
    expect(resumed.result.history).toHaveLength(2);
    expect(resumed.result.history[1].trainLoss).toBe(straight.result.history[1].trainLoss);
    const a = parametersOf(straight.model);
    const b = parametersOf(resumed.model);
    expect(b).toHaveLength(a.length);
    a.forEach((p, i) =>
      expect(Buffer.compare(Buffer.from(b[i].buffer), Buffer.from(p.buffer))).toBe(0),
    );
  });

  test('Ctrl-C mid-epoch saves the position; resuming continues exactly', async () => {
    const straight = await run(12, shuffle, { epochs: 2 });
    const dir = tmp();
    // SIGINT during epoch 2's third batch: the step finishes, then fit saves and stops.
    let batches = 0;
    const interrupted = await run(12, shuffle, { epochs: 2, checkpoint: { dir } }, (loader) => {
      const iterate = loader[Symbol.iterator].bind(loader);
      loader[Symbol.iterator] = function* (): IterableIterator<Batch> {
        for (const batch of iterate()) {
          if (++batches === loader.length + 3) process.emit('SIGINT');
          yield batch;
        }
      };
    });
    expect(interrupted.result.interrupted).toBe(true);
    expect(interrupted.result.epochsCompleted).toBe(1);
    expect(process.listenerCount('SIGINT')).toBe(0);
    const resumed = await run(98, shuffle, { epochs: 2, checkpoint: { dir }, resume: true });
    expect(resumed.result.interrupted).toBe(false);
    expect(resumed.result.history[1].trainLoss).toBe(straight.result.history[1].trainLoss);
    const a = parametersOf(straight.model);
    const b = parametersOf(resumed.model);
    a.forEach((p, i) =>
      expect(Buffer.compare(Buffer.from(b[i].buffer), Buffer.from(p.buffer))).toBe(0),
    );
  });
});

test('fit rejects bad options with one clear error', async () => {
  const model = tinyNet();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
  const train = new ArrayLoader(quadrantData(8, 1), 4);
  await expect(fit(model, { train, optimizer, epochs: 0 })).rejects.toThrow(/epochs/);
  await expect(
    fit(model, {
      train,
      optimizer,
      epochs: 1,
      resume: '/nonexistent/ckpt.safetensors',
      log: quiet,
    }),
  ).rejects.toThrow(/no checkpoint/);
});

test('evaluate: loss, top-1, top-5 and the confusion matrix of a hand-made case', () => {
  // A "model" returning fixed logits; 6 classes so top-5 differs from 100%.
  const rows = [
    [5, 1, 0, 0, 0, 0], // label 0 -> predicted 0 (correct)
    [0, 5, 1, 0, 0, 0], // label 1 -> 1 (correct)
    [9, 0, 5, 0, 0, 0], // label 2 -> 0 (top-5 yes)
    [-1, 0, 0, 1, 2, 3], // label 0 -> 5; five classes above the label: top-5 no
  ];
  const labels = Int32Array.from([0, 1, 2, 0]);
  class Fixed extends nn.Module {
    forward() {
      return tensor(rows);
    }
  }
  const loader = Object.assign([{ x: tensor([0, 0, 0, 0], [4, 1, 1, 1]), labels }], { length: 1 });
  const model = new Fixed();
  const result = evaluate(model, loader, { numClasses: 6 });
  expect(result.count).toBe(4);
  expect(result.top1).toBeCloseTo(0.5);
  expect(result.top5).toBeCloseTo(0.75);
  const expected = Array.from({ length: 6 }, () => new Array(6).fill(0));
  expected[0][0] = 1;
  expected[1][1] = 1;
  expected[2][0] = 1;
  expected[0][5] = 1;
  expect(result.confusion).toEqual(expected);
  // Mean cross-entropy of the rows, computed here in float64.
  const ce = rows.map((r, i) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0)) - r[labels[i]]);
  expect(result.loss).toBeCloseTo(ce.reduce((a, b) => a + b) / 4, 4);
  expect(model.training).toBe(true); // back in training mode afterwards
});
