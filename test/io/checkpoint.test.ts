// Checkpoints: resume equals an uninterrupted run bit for bit (model, optimizer with momentum,
// scheduler, dropout RNG); num_batches_tracked is stored as I64; bad files are rejected.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { F, io, manualSeed, nn, optim, randn, Tensor, tidy } from '../../lib';
import { expectThrows } from '../helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-ckpt-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function makeRun() {
  manualSeed(5);
  const model = new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Dropout(0.3),
    new nn.Linear(4 * 4 * 4, 3),
  );
  const optimizer = new optim.SGD(model.parameters(), {
    lr: 0.1,
    momentum: 0.9,
    weightDecay: 1e-3,
  });
  const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: 10 });
  return { model, optimizer, scheduler };
}

const x = (() => {
  manualSeed(99);
  return randn([4, 4, 4, 2]);
})();
const labels = [0, 1, 2, 1];

function train(run: ReturnType<typeof makeRun>, steps: number): void {
  for (let i = 0; i < steps; i++)
    tidy(() => {
      run.optimizer.zeroGrad();
      F.crossEntropy(run.model.forward(x), labels).backward();
      run.optimizer.step();
      run.scheduler.step();
    });
}

const values = (m: nn.Module) => [...m.stateDict().values()].map((t: Tensor) => Array.from(t.data));

test('10 steps equal 5 + save + load into fresh objects + 5, bit for bit', () => {
  const straight = makeRun();
  train(straight, 10);

  const first = makeRun();
  train(first, 5);
  const file = path.join(dir, 'ckpt.safetensors');
  io.saveCheckpoint(file, first, { epoch: 5, extra: { best: 0.5 } });
  manualSeed(12345); // disturb the generator: the checkpoint must restore it
  const resumed = makeRun();
  const info = io.loadCheckpoint(file, resumed);
  expect(info).toEqual({ epoch: 5, extra: { best: 0.5 } });
  train(resumed, 5);

  expect(values(resumed.model)).toEqual(values(straight.model));
  expect(resumed.optimizer.paramGroups[0].lr).toBe(straight.optimizer.paramGroups[0].lr);
});

test('state dicts are saved the PyTorch way: num_batches_tracked as I64', () => {
  const { model } = makeRun();
  const file = path.join(dir, 'model.safetensors');
  io.saveStateDict(model, file);
  const loaded = io.loadSafetensors(file);
  expect(loaded.dtypes['1.num_batches_tracked']).toBe('I64');
  expect(loaded.dtypes['0.weight']).toBe('F32');
  model.loadStateDict(loaded.tensors);
});

test('a file that is not a checkpoint, or lacks a part, is a clear error', () => {
  const run = makeRun();
  const plain = path.join(dir, 'plain.safetensors');
  io.saveStateDict(run.model, plain);
  expectThrows(() => io.loadCheckpoint(plain, run), 'SafetensorsError', /not a convkit checkpoint/);
  const noOptimizer = path.join(dir, 'noopt.safetensors');
  io.saveCheckpoint(noOptimizer, { model: run.model }, { epoch: 1 });
  expectThrows(() => io.loadCheckpoint(noOptimizer, run), 'SafetensorsError', /no optimizer state/);
});

test('an interrupted save leaves the previous checkpoint intact', () => {
  const run = makeRun();
  const file = path.join(dir, 'keep.safetensors');
  io.saveCheckpoint(file, run, { epoch: 1 });
  const before = fs.readFileSync(file);
  const broken = {
    ...run,
    scheduler: {
      stateDict: () => {
        throw new Error('disk full');
      },
      loadStateDict: () => undefined,
    },
  };
  expect(() => io.saveCheckpoint(file, broken, { epoch: 2 })).toThrow(/disk full/);
  expect(fs.readFileSync(file).equals(before)).toBe(true);
});
