// LeNet-5, AlexNet and VGG: registry entries, LeNet-5's parameter count and training, vgg13_bn
// against torchvision (it is not in the reference table), forward shapes at the native and
// smallest resolutions, dropout in train vs eval, the VGG init, BN + ReLU fusion.
// (torchvision names: keys, shapes and counts in torchvision_keys.test.ts.)
import * as fs from 'fs';
import * as path from 'path';
import {
  F,
  manualSeed,
  models,
  nn,
  noGrad,
  optim,
  randn,
  rand,
  tidy,
  type Tensor,
} from '../../lib';
import { FusedSequential } from '../../lib/nn/blocks/fused_sequential';
import { quickFill } from './quick_fill';

const count = (m: nn.Module): number => m.parameters().reduce((n, p) => n + p.size, 0);
const build = <T extends nn.Module>(fn: () => T): T => nn.init.skipInit(() => noGrad(fn));

test('registry: families, input sizes, channels and papers', () => {
  const byName = new Map(models.list().map((m) => [m.name, m]));
  expect(byName.get('lenet5')).toMatchObject({ family: 'lenet', inputSize: 28, inChannels: 1 });
  expect(byName.get('lenet5')!.paper).toMatch(/Gradient-Based Learning.*LeCun et al., 1998/);
  expect(byName.get('alexnet')).toMatchObject({ family: 'alexnet', inputSize: 224, inChannels: 3 });
  expect(byName.get('alexnet')!.paper).toMatch(/Krizhevsky et al., 2012/);
  for (const n of [
    'vgg11',
    'vgg13',
    'vgg16',
    'vgg19',
    'vgg11_bn',
    'vgg13_bn',
    'vgg16_bn',
    'vgg19_bn',
  ]) {
    expect(byName.get(n)).toMatchObject({ family: 'vgg', inputSize: 224, inChannels: 3 });
    expect(byName.get(n)!.paper).toMatch(
      /Very Deep Convolutional Networks.*Simonyan & Zisserman, 2014/,
    );
  }
});

describe('lenet5', () => {
  test('61,706 parameters for 28x28, 1 channel, 10 classes, whatever the activation and pooling', () => {
    expect(count(models.lenet5())).toBe(61706);
    expect(count(models.lenet5({ activation: 'relu', pooling: 'max' }))).toBe(61706);
    expect(count(models.lenet5({ inputSize: 32 }))).toBe(61706);
    expect(count(models.lenet5({ inChannels: 3 }))).toBe(61706 + 2 * 150);
    expect([...models.lenet5().stateDict().keys()]).toEqual([
      'features.0.weight',
      'features.0.bias',
      'features.3.weight',
      'features.3.bias',
      'classifier.0.weight',
      'classifier.0.bias',
      'classifier.2.weight',
      'classifier.2.bias',
      'classifier.4.weight',
      'classifier.4.bias',
    ]);
  });

  test('forward shapes at 28x28 (padded) and 32x32 (the paper), and early errors', () => {
    tidy(() => {
      expect(models.lenet5().forward(randn([2, 28, 28, 1])).shape).toEqual([2, 10]);
      expect(
        models.lenet5({ inputSize: 32, numClasses: 5 }).forward(randn([1, 32, 32, 1])).shape,
      ).toEqual([1, 5]);
    });
    expect(() => models.lenet5({ inputSize: 30 })).toThrow(/inputSize must be 28 .* or 32/);
    expect(() => models.lenet5({ activation: 'gelu' as 'relu' })).toThrow(/activation/);
    expect(() => models.create('lenet5', { numclasses: 3 })).toThrow(/unknown option 'numclasses'/);
  });

  test.each([
    ['tanh', 'avg'],
    ['relu', 'max'],
  ] as const)(
    'trains a few Adam steps on a fixed 28x28 batch (%s, %s pooling)',
    (activation, pooling) => {
      manualSeed(3);
      const model = models.lenet5({ activation, pooling });
      const opt = new optim.Adam(model.parameters(), { lr: 3e-3 });
      const x = randn([16, 28, 28, 1]);
      const labels = Array.from({ length: 16 }, (_, i) => i % 10);
      const losses: number[] = [];
      for (let step = 0; step < 40; step++)
        losses.push(
          tidy(() => {
            opt.zeroGrad();
            const loss = F.crossEntropy(model.forward(x), labels);
            loss.backward();
            opt.step();
            return loss.item();
          }),
        );
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.75);
    },
  );
});

describe('alexnet', () => {
  const model = build(() => quickFill(models.alexnet()) as models.AlexNet);

  test('forward at 224 and at its minimum 63x63; smaller fails with a sentence', () => {
    tidy(() =>
      noGrad(() => {
        model.eval();
        expect(model.forward(rand([1, 224, 224, 3])).shape).toEqual([1, 1000]);
        expect(model.forward(rand([2, 63, 70, 3])).shape).toEqual([2, 1000]);
        expect(() => model.forward(rand([1, 62, 62, 3]))).toThrow(/at least 63x63/);
      }),
    );
  });

  test('dropout: eval is deterministic, training draws masks', () => {
    tidy(() =>
      noGrad(() => {
        const x = rand([1, 63, 63, 3]);
        model.eval();
        const a = model.forward(x).toArray();
        expect(model.forward(x).toArray()).toEqual(a);
        model.train();
        const b = model.forward(x).toArray();
        expect(b).not.toEqual(a);
        expect(model.forward(x).toArray()).not.toEqual(b);
      }),
    );
  });
});

describe('vgg', () => {
  test('vgg13_bn (not in the reference table) equals torchvision 0.14: keys, shapes, counts', () => {
    tidy(() => {
      const file = path.join(__dirname, '..', 'fixtures', 'zoo', 'vgg13_bn.json');
      const expected = JSON.parse(fs.readFileSync(file, 'utf8'));
      const model = build(() => models.create('vgg13_bn'));
      expect(count(model)).toBe(expected.params);
      expect(count(model)).toBe(133053736);
      expect([...model.stateDict()].map(([k, t]) => [k, [...t.shape]])).toEqual(expected.keys);
    });
  });

  test('vgg11 and vgg11_bn forward at 32x32 (any size >= 32 through the adaptive pool)', () => {
    tidy(() =>
      noGrad(() => {
        for (const create of [models.vgg11, models.vgg11_bn]) {
          const model = build(() => quickFill(create({ numClasses: 10 })));
          model.train();
          expect(model.forward(rand([2, 32, 32, 3])).shape).toEqual([2, 10]);
          model.eval();
          const x = rand([1, 40, 33, 3]);
          const y = model.forward(x);
          expect(y.shape).toEqual([1, 10]);
          expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
          expect(() => model.forward(rand([1, 31, 32, 3]))).toThrow(/at least 32x32/);
          for (const t of model.stateDict().values()) t.dispose();
        }
      }),
    );
  });

  test("torchvision's init: kaiming normal fan_out for convs, N(0, 0.01) for linears, zero biases", () => {
    manualSeed(4);
    const conv = new nn.Conv2d(64, 128, 3);
    const bn = new nn.BatchNorm2d(128);
    const fc = new nn.Linear(512, 1000);
    models.initVGGWeights(new nn.Sequential(conv, bn, fc));
    const std = (t: Tensor) => Math.sqrt(t.data.reduce((s, v) => s + v * v, 0) / t.size);
    expect(std(conv.weight) / Math.sqrt(2 / (128 * 9))).toBeCloseTo(1, 1);
    expect(std(fc.weight) / 0.01).toBeCloseTo(1, 1);
    expect(conv.bias!.data.every((v) => v === 0) && fc.bias!.data.every((v) => v === 0)).toBe(true);
    expect(bn.weight!.data.every((v) => v === 1)).toBe(true);
  });

  test('options fail early with a sentence', () => {
    expect(() => models.vgg11({ dropout: 2 })).toThrow(/probability/);
    expect(() => models.vgg16_bn({ batchNorm: true })).toThrow(/unknown option 'batchNorm'/);
  });

  test('FusedSequential (BN + ReLU in one kernel) equals the unfused chain, in train and eval', () => {
    manualSeed(5);
    const layers = new FusedSequential(
      new nn.Conv2d(3, 8, 3, { padding: 1 }),
      new nn.BatchNorm2d(8),
      new nn.ReLU(),
      new nn.MaxPool2d(2, { stride: 2 }),
    );
    const x = randn([2, 6, 6, 3]);
    for (const training of [true, false]) {
      layers.train(training);
      const bn = layers.at(1) as nn.BatchNorm2d;
      const saved = [bn.running_mean!.data.slice(), bn.running_var!.data.slice()];
      const fused = layers.forward(x);
      bn.running_mean!.data.set(saved[0]);
      bn.running_var!.data.set(saved[1]);
      let y = x;
      for (const m of layers) y = m.forward(y);
      expect(bn.activation).toBe('none');
      const a = fused.data;
      const b = y.data;
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-5);
    }
  });
});
