// DenseNet: gradient checks of its blocks, a tiny DenseNet against torchvision's count, forward
// shapes, BN running statistics and dropout in train vs eval, compression, init, and a few
// training steps on a fixed batch. (torchvision names: torchvision_keys.test.ts.)
import { assertGradcheck } from '../../lib/autograd';
import {
  F,
  manualSeed,
  models,
  nn,
  noGrad,
  optim,
  profile,
  rand,
  randn,
  tidy,
  type Tensor,
} from '../../lib';
import { batchNormNative } from '../../lib/kernels/batchnorm';
import { maxRelativeError } from '../helpers';
import { randomInput } from '../ops/inputs';
import { quickFill } from './quick_fill';

const count = (m: nn.Module): number => m.parameters().reduce((n, p) => n + p.size, 0);
const tiny = (options: models.DenseNetOptions = {}) =>
  new models.DenseNet({
    growthRate: 4,
    blockConfig: [2, 2],
    numInitFeatures: 8,
    numClasses: 3,
    ...options,
  });

// eps 1e-3 instead of 1e-2: with hundreds of BN + ReLU outputs, a step of 1e-2 moves some of
// them across the ReLU's kink, and the difference then measures neither side (the fused BN +
// ReLU gradient equals the unfused one exactly).
const eps = 1e-3;

describe('gradients of the blocks (train mode: batch statistics)', () => {
  beforeEach(() => manualSeed(7));

  test('DenseLayer: input (one tensor and a list to concatenate) and conv weights', () => {
    const layer = new models.DenseLayer(6, 4, 2, 0);
    const x = randomInput([2, 5, 5, 6], 1, { scale: 2 });
    assertGradcheck((xi) => layer.forward(xi), [x, layer.conv1.weight, layer.conv2.weight], {
      name: 'DenseLayer',
      eps,
    });
    const a = randomInput([2, 5, 5, 4], 2, { scale: 2 });
    const b = randomInput([2, 5, 5, 2], 3, { scale: 2 });
    assertGradcheck((ai, bi) => layer.forward(ai, bi), [a, b], { name: 'DenseLayer([a, b])', eps });
  });

  test('DenseBlock', () => {
    const block = new models.DenseBlock(3, 4, 2, 3, 0);
    const x = randomInput([2, 4, 5, 4], 4, { scale: 2 });
    const y = block.forward(x);
    expect(y.shape).toEqual([2, 4, 5, 4 + 3 * 3]);
    // the block's output starts with its input, unchanged
    for (let i = 0; i < 20; i++) expect(y.data[i * 13]).toBe(x.data[i * 4]);
    const second = block.children()[1] as models.DenseLayer;
    assertGradcheck((xi) => block.forward(xi), [x, second.conv1.weight, second.norm1.weight!], {
      name: 'DenseBlock',
      eps,
    });
  });

  test('DenseBlock on its shared buffer equals concatenating every layer, gradients included, bit for bit (and twice with retainGraph)', () => {
    // 5 input channels, growth 3: norm1 reads 5, 8, 11 of 14 channels (vector tails everywhere).
    const block = new models.DenseBlock(3, 5, 2, 3, 0);
    const x = randomInput([2, 5, 4, 5], 5, { scale: 2 });
    const weights = randomInput([2, 5, 4, 14], 6);
    const run = (useBuffer: boolean, passes: number) => {
      for (const p of block.parameters()) p.grad = null;
      x.grad = null;
      let y = x;
      if (useBuffer) y = block.forward(x);
      else for (const layer of block.children()) y = F.cat([y, layer.forward(y)], -1);
      const loss = F.sum(F.mul(y, weights));
      for (let i = 0; i < passes; i++) loss.backward(undefined, { retainGraph: i + 1 < passes });
      return [y, x.grad!, ...block.parameters().map((p) => p.grad!)].map((t) => Array.from(t.data));
    };
    const once = run(true, 1);
    expect(once).toEqual(run(false, 1));
    // A second backward through the retained graph adds the same gradients again (x.grad and
    // every parameter's get one contribution per pass, so twice is exact).
    const twice = run(true, 2);
    expect(twice[0]).toEqual(once[0]);
    expect(twice.slice(1)).toEqual(once.slice(1).map((g) => g.map((v) => 2 * v)));
  });

  test("in training each channel's batch statistics are summed once, when it enters the buffer: norm1 gets them, results as concatenating (two threads, dropout)", () => {
    // 40x40 rows x 13+ channels: the statistics run on two threads and in several blocks of
    // rows, whose boundaries differ between the buffer's prefix and the appended pieces (float
    // rounding apart, not bit for bit); dropout on the new features (their statistics are of
    // the dropped values).
    const block = new models.DenseBlock(3, 13, 2, 8, 0.2);
    const x = randomInput([2, 40, 40, 13], 9, { scale: 2 });
    const weights = randomInput([2, 40, 40, 37], 10);
    const given: boolean[] = [];
    const forward = batchNormNative.batchNormForwardTraining;
    const run = (useBuffer: boolean) => {
      for (const p of block.parameters()) p.grad = null;
      x.grad = null;
      for (const layer of block.children() as models.DenseLayer[]) {
        layer.norm1.running_mean!.data.fill(0);
        layer.norm1.running_var!.data.fill(1);
      }
      manualSeed(3); // the same dropout masks
      let y = x;
      if (useBuffer) y = block.forward(x);
      else for (const layer of block.children()) y = F.cat([y, layer.forward(y)], -1);
      F.sum(F.mul(y, weights)).backward();
      const norms = (block.children() as models.DenseLayer[]).flatMap((l) => [
        l.norm1.running_mean!,
        l.norm1.running_var!,
      ]);
      return [y, x.grad!, ...block.parameters().map((p) => p.grad!), ...norms];
    };
    const spy = jest
      .spyOn(batchNormNative, 'batchNormForwardTraining')
      .mockImplementation((...a) => {
        if (a[15] && a[15] !== a[1]) given.push(a[16] instanceof Float64Array); // norm1 on the buffer
        return forward(...a);
      });
    let viaBuffer: Tensor[];
    try {
      viaBuffer = run(true);
    } finally {
      spy.mockRestore();
    }
    expect(given).toEqual([true, true, true]);
    const concatenated = run(false);
    viaBuffer.forEach((t, i) => {
      const e = maxRelativeError(t.data, concatenated[i].data);
      if (!(e.error < 1e-4)) throw new Error(`tensor ${i} differs by ${e.error}`);
    });
  });

  test('Transition', () => {
    const transition = new models.Transition(6, 3);
    const x = randomInput([2, 6, 6, 6], 5, { scale: 2 });
    expect(transition.forward(x).shape).toEqual([2, 3, 3, 3]);
    assertGradcheck((xi) => transition.forward(xi), [x, transition.conv.weight], {
      name: 'Transition',
      eps,
    });
  });
});

describe('a tiny DenseNet (growthRate 4, blockConfig [2, 2], 8 initial features)', () => {
  test("parameters and state-dict entries equal torchvision's DenseNet(4, (2, 2), 8, num_classes=3)", () => {
    const model = tiny();
    expect(count(model)).toBe(4587);
    expect(model.stateDict().size).toBe(67);
    expect([...model.stateDict().keys()].slice(0, 8)).toEqual([
      'features.conv0.weight',
      'features.norm0.weight',
      'features.norm0.bias',
      'features.norm0.running_mean',
      'features.norm0.running_var',
      'features.norm0.num_batches_tracked',
      'features.denseblock1.denselayer1.norm1.weight',
      'features.denseblock1.denselayer1.norm1.bias',
    ]);
    // transition1: 8 + 2 * 4 = 16 channels -> floor(0.5 * 16)
    expect(model.stateDict().get('features.transition1.conv.weight')!.shape).toEqual([8, 16, 1, 1]);
    expect(model.stateDict().get('classifier.weight')!.shape).toEqual([3, 16]);
  });

  test('compression: transition channels = floor(compression * C)', () => {
    const model = tiny({ compression: 0.3 });
    expect(model.stateDict().get('features.transition1.conv.weight')!.shape).toEqual([4, 16, 1, 1]);
    expect(model.stateDict().get('classifier.weight')!.shape).toEqual([3, 4 + 2 * 4]);
    expect(() => tiny({ compression: 0 })).toThrow(/compression must be in \(0, 1\]/);
  });

  test('BN running statistics move in training only; dropRate is active in training only', () => {
    tidy(() => {
      manualSeed(8);
      const model = tiny({ dropRate: 0.5 });
      const x = randn([2, 16, 16, 3]);
      const mean = model.stateDict().get('features.norm0.running_mean')!;
      const before = mean.data.slice();
      model.eval();
      const a = model.forward(x).toArray();
      expect(model.forward(x).toArray()).toEqual(a);
      expect(mean.data).toEqual(before);
      model.train();
      const b = noGrad(() => model.forward(x)).toArray();
      expect(mean.data).not.toEqual(before);
      expect(noGrad(() => model.forward(x)).toArray()).not.toEqual(b);
    });
  });

  test('loss falls over a few SGD steps on a fixed 16x16 batch', () => {
    manualSeed(9);
    const model = tiny();
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = randn([8, 16, 16, 3]);
    const labels = [0, 1, 2, 0, 1, 2, 0, 1];
    const losses: number[] = [];
    for (let step = 0; step < 15; step++)
      losses.push(
        tidy(() => {
          opt.zeroGrad();
          const loss = F.crossEntropy(model.forward(x), labels);
          loss.backward();
          opt.step();
          return loss.item();
        }),
      );
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
  });

  test("torchvision's init: kaiming normal (fan_in) convs, BN 1/0, zero classifier bias", () => {
    manualSeed(10);
    const model = new models.DenseNet({
      growthRate: 32,
      blockConfig: [2],
      numInitFeatures: 64,
      numClasses: 10,
    });
    const sd = model.stateDict();
    const std = (t: Tensor) => Math.sqrt(t.data.reduce((s, v) => s + v * v, 0) / t.size);
    const conv2 = sd.get('features.denseblock1.denselayer1.conv2.weight')!; // [32, 128, 3, 3]
    expect(std(conv2) / Math.sqrt(2 / (128 * 9))).toBeCloseTo(1, 1);
    expect(sd.get('classifier.bias')!.data.every((v) => v === 0)).toBe(true);
    const w = sd.get('classifier.weight')!;
    expect(Math.max(...w.data.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(128)); // default kaiming uniform
    expect(std(w)).toBeGreaterThan(0);
  });
});

test('densenet121 forward at 64x64 (batch 1, eval) and 2 in training', () => {
  tidy(() =>
    noGrad(() => {
      const model = nn.init.skipInit(() => quickFill(models.densenet121({ numClasses: 10 })));
      model.eval();
      const y = model.forward(rand([1, 64, 64, 3]));
      expect(y.shape).toEqual([1, 10]);
      expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
      model.train();
      expect(model.forward(rand([2, 64, 64, 3])).shape).toEqual([2, 10]);
    }),
  );
});

test('named builders fix their architecture; options fail early with a sentence', () => {
  expect(() => models.densenet121({ growthRate: 12 })).toThrow(
    /growthRate is fixed by the architecture/,
  );
  expect(() => tiny({ blockConfig: [] })).toThrow(/blockConfig/);
  expect(() => tiny({ dropRate: -1 })).toThrow(/probability/);
  expect(() => tiny({ growth_rate: 4 })).toThrow(/unknown option 'growth_rate'/);
  expect(() => tiny({ memoryEfficient: true })).not.toThrow();
});

test("the profiler sees each dense layer and its norm1 on the shared buffer (output shapes, norm1's own channels)", () => {
  const rows = profile.summary(tiny(), [1, 32, 32, 3]).rows;
  const row = (name: string) => rows.find((r) => r.name === name)!;
  // 8 initial features at 8x8 after the stem; layer 2 reads 8 + 4 of the buffer's 16 channels.
  expect(row('features.denseblock1.denselayer2').outputShape).toEqual([1, 8, 8, 4]);
  expect(row('features.denseblock1.denselayer2.norm1').outputShape).toEqual([1, 8, 8, 12]);
  expect(row('features.denseblock1').outputShape).toEqual([1, 8, 8, 16]);
});

test('registry entries', () => {
  for (const name of ['densenet121', 'densenet161', 'densenet169', 'densenet201'])
    expect(models.info(name)).toMatchObject({ family: 'densenet', inputSize: 224, inChannels: 3 });
  expect(models.info('densenet121').paper).toMatch(
    /Densely Connected Convolutional Networks \(Huang et al., 2017\)/,
  );
});
