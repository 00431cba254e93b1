// Module bookkeeping: names as PyTorch's, train/eval, freezing, apply, and state dicts.
import { F, manualSeed, nn, randn, tensor, zeros } from '../../lib';
import { expectThrows } from '../helpers';

class Block extends nn.Module {
  conv1 = new nn.Conv2d(3, 4, 3, { padding: 1, bias: false });
  bn1 = new nn.BatchNorm2d(4);
  extra = new nn.Sequential(new nn.ReLU(), new nn.Conv2d(4, 2, 1));
  forward(x: F.Tensor) {
    return this.extra.forward(this.bn1.forward(this.conv1.forward(x)));
  }
}

test('keys follow attribute names and Sequential indices, parameters before buffers per module', () => {
  const keys = [...new Block().stateDict().keys()];
  expect(keys).toEqual([
    'conv1.weight',
    'bn1.weight',
    'bn1.bias',
    'bn1.running_mean',
    'bn1.running_var',
    'bn1.num_batches_tracked',
    'extra.1.weight',
    'extra.1.bias',
  ]);
  const m = new Block();
  expect(m.namedParameters().map(([k]) => k)).toEqual([
    'conv1.weight',
    'bn1.weight',
    'bn1.bias',
    'extra.1.weight',
    'extra.1.bias',
  ]);
  expect(m.namedBuffers().map(([k]) => k)).toEqual([
    'bn1.running_mean',
    'bn1.running_var',
    'bn1.num_batches_tracked',
  ]);
  expect(m.namedModules().map(([k]) => k)).toEqual([
    '',
    'conv1',
    'bn1',
    'extra',
    'extra.0',
    'extra.1',
  ]);
});

test('train/eval reach every module; requiresGrad(false) freezes; apply visits children first', () => {
  const m = new Block();
  m.eval();
  expect(m.modules().every((x) => !x.training)).toBe(true);
  m.train();
  expect(m.extra.at(1).training).toBe(true);
  m.requiresGrad(false);
  expect(m.parameters().every((p) => !p.requiresGrad)).toBe(true);
  const order: string[] = [];
  m.apply((x) => order.push(x.constructor.name));
  expect(order[order.length - 1]).toBe('Block');
});

test('loadStateDict reports missing and unexpected keys, rejects shape mismatches', () => {
  const m = new Block();
  const sd = new Map(m.stateDict());
  sd.delete('conv1.weight');
  sd.set('surprise', zeros([1]));
  expectThrows(
    () => m.loadStateDict(sd),
    'RangeError',
    /missing keys: conv1.weight.*unexpected keys: surprise/,
  );
  expect(m.loadStateDict(sd, { strict: false })).toEqual({
    missingKeys: ['conv1.weight'],
    unexpectedKeys: ['surprise'],
  });
  sd.set('bn1.weight', zeros([5]));
  expectThrows(
    () => m.loadStateDict(sd, { strict: false }),
    'RangeError',
    /bn1.weight: checkpoint \[5\] vs model \[4\]/,
  );
});

test('zeroGrad clears gradients of every parameter', () => {
  const m = new Block();
  F.sum(m.forward(randn([1, 4, 4, 3]))).backward();
  expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
  m.zeroGrad();
  expect(m.parameters().every((p) => p.grad === null)).toBe(true);
});

test('default init as PyTorch: Conv2d and Linear weights and biases within ±1/sqrt(fan_in)', () => {
  manualSeed(3);
  const conv = new nn.Conv2d(8, 16, 3);
  const bound = 1 / Math.sqrt(8 * 9);
  expect(Math.max(...conv.weight.data.map(Math.abs))).toBeLessThanOrEqual(bound);
  expect(Math.max(...conv.weight.data.map(Math.abs))).toBeGreaterThan(bound * 0.9);
  expect(Math.max(...conv.bias!.data.map(Math.abs))).toBeLessThanOrEqual(bound);
  const std = Math.sqrt(conv.weight.data.reduce((s, v) => s + v * v, 0) / conv.weight.size);
  expect(std).toBeCloseTo(bound / Math.sqrt(3), 2);
  const fc = new nn.Linear(50, 10);
  expect(Math.max(...fc.weight.data.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(50));
});

test('containers: Sequential.at, ModuleList and ModuleDict keys', () => {
  const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 3)]);
  expect([...list.stateDict().keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
  const dict = new nn.ModuleDict({ head: new nn.Linear(2, 1) });
  expect([...dict.stateDict().keys()]).toEqual(['head.weight', 'head.bias']);
  expectThrows(() => new nn.Sequential(new nn.ReLU()).at(3), 'RangeError', /index/);
  expectThrows(() => new nn.Sequential(tensor([1]) as unknown as nn.Module), 'TypeError', /Module/);
});
