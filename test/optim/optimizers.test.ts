// Optimizer classes: updates equal PyTorch 1.13's over 5 steps (fixture from
// bench/torch/gen_optim_fixture.py), parameter groups, state dicts, clipping, errors.
import * as fs from 'fs';
import * as path from 'path';
import { optim, tensor, Tensor } from '../../lib';
import { expectThrows, maxRelativeError } from '../helpers';

interface Fixture {
  initial: number[];
  grads: number[][];
  cases: Array<{
    name: string;
    optimizer: string;
    options: Record<string, unknown>;
    params: number[][];
  }>;
}
const fixture: Fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'optim_torch113.json'), 'utf8'),
);

/** PyTorch's snake_case options as ours. */
function camel(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => [k.replace(/_(\w)/g, (_, c) => c.toUpperCase()), v]),
  );
}

function make(name: string, params: Tensor[], options: Record<string, unknown>): optim.Optimizer {
  switch (name) {
    case 'SGD':
      return new optim.SGD(params, options as unknown as optim.SGDOptions);
    case 'Adam':
      return new optim.Adam(params, options);
    case 'AdamW':
      return new optim.AdamW(params, options);
    case 'RMSprop':
      return new optim.RMSprop(params, options);
  }
  throw new Error(`no optimizer ${name}`);
}

function leaf(values: number[]): Tensor {
  const t = tensor(values);
  t.requiresGrad = true;
  return t;
}

test.each(fixture.cases.map((c) => [c.name, c] as const))(
  '%s matches PyTorch 1.13 over 5 steps',
  (_name, c) => {
    const p = leaf(fixture.initial);
    const opt = make(c.optimizer, [p], camel(c.options));
    fixture.grads.forEach((g, i) => {
      opt.zeroGrad();
      p.addToGrad(tensor(g));
      opt.step();
      const { error, index } = maxRelativeError(p.data, c.params[i]);
      // float32 updates rounded in different places: a few ulps per step.
      if (!(error <= 3e-6)) throw new Error(`${c.name} step ${i + 1}: error ${error} at ${index}`);
    });
  },
);

test('parameter groups keep their own options', () => {
  const a = leaf([1, 1]);
  const b = leaf([1, 1]);
  const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5, weightDecay: 0 }], {
    lr: 0.1,
    weightDecay: 1,
  });
  a.addToGrad(tensor([1, 1]));
  b.addToGrad(tensor([1, 1]));
  opt.step();
  expect(a.data[0]).toBeCloseTo(1 - 0.1 * (1 + 1), 6);
  expect(b.data[0]).toBeCloseTo(1 - 0.5, 6);
  expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
});

test('stateDict / loadStateDict resume exactly', () => {
  const run = (steps: number, resumeAt?: number) => {
    let p = leaf(fixture.initial);
    let opt: optim.Optimizer = new optim.AdamW([p], { lr: 1e-2 });
    for (let i = 0; i < steps; i++) {
      if (i === resumeAt) {
        const sd = opt.stateDict();
        const saved = Array.from(p.data);
        p = leaf(saved);
        opt = new optim.AdamW([p], { lr: 123 }); // options come back from the state dict
        opt.loadStateDict({ tensors: sd.tensors, json: JSON.parse(JSON.stringify(sd.json)) });
      }
      opt.zeroGrad();
      p.addToGrad(tensor(fixture.grads[i % fixture.grads.length]));
      opt.step();
    }
    return Array.from(p.data);
  };
  expect(run(6, 3)).toEqual(run(6));
});

test('zeroGrad drops gradients; parameters without gradients are skipped', () => {
  const a = leaf([1]);
  const b = leaf([2]);
  const opt = new optim.SGD([a, b], { lr: 1 });
  a.addToGrad(tensor([1]));
  opt.step();
  expect(a.data[0]).toBe(0);
  expect(b.data[0]).toBe(2);
  opt.zeroGrad();
  expect(a.grad).toBeNull();
});

test('clipGradNorm and clipGradValue', () => {
  const a = leaf([0, 0]);
  const b = leaf([0]);
  a.addToGrad(tensor([3, 0]));
  b.addToGrad(tensor([4]));
  expect(optim.clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
  expect(Math.hypot(a.grad!.data[0], b.grad!.data[0])).toBeCloseTo(1, 4);
  optim.clipGradValue([a, b], 0.5);
  expect(b.grad!.data[0]).toBe(0.5);
});

test('bad arguments name the optimizer and the option', () => {
  const p = leaf([1]);
  expectThrows(() => new optim.SGD([p], {} as optim.SGDOptions), 'TypeError', /SGD.*lr/);
  expectThrows(() => new optim.SGD([p], { lr: -1 }), 'RangeError', /SGD.*lr/);
  expectThrows(() => new optim.Adam([p], { betas: [1.5, 0.9] }), 'RangeError', /betas/);
  expectThrows(() => new optim.SGD([], { lr: 1 }), 'TypeError', /params/);
  expectThrows(() => new optim.SGD([p, p], { lr: 1 }), 'RangeError', /one group/);
});
