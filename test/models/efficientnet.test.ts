// EfficientNet beyond torchvision_keys.test.ts (keys, shapes and counts of B0-B7): the
// per-variant table (dropout, BN eps/momentum, stochastic depth), compound scaling, forward
// shapes, stochastic depth in training and eval, MBConv gradients, a few training steps.
import {
  assertGradcheck,
  F,
  manualSeed,
  models,
  nn,
  noGrad,
  optim,
  randn,
  runtime,
  tidy,
} from '../../lib';
import { native } from '../../lib/native';
import { expectSameStep, maxRelativeError } from '../helpers';
import { randomInput } from '../ops/inputs';

const count = (m: nn.Module): number => m.parameters().reduce((n, p) => n + p.size, 0);
const structure = <T>(fn: () => T): T => nn.init.skipInit(() => noGrad(fn));

function mbconvs(model: models.EfficientNet): models.MBConv[] {
  return model.modules().filter((m): m is models.MBConv => m instanceof models.MBConv);
}

describe('variant table as torchvision 0.14', () => {
  test.each([
    ['efficientnet_b0', 0.2, 1e-5, 0.1],
    ['efficientnet_b1', 0.2, 1e-5, 0.1],
    ['efficientnet_b2', 0.3, 1e-5, 0.1],
    ['efficientnet_b3', 0.3, 1e-5, 0.1],
    ['efficientnet_b4', 0.4, 1e-5, 0.1],
    ['efficientnet_b5', 0.4, 1e-3, 0.01],
    ['efficientnet_b6', 0.5, 1e-3, 0.01],
    ['efficientnet_b7', 0.5, 1e-3, 0.01],
  ])('%s: dropout %d, BN eps %d momentum %d', (name, dropout, eps, momentum) => {
    const model = structure(() => models.create(name)) as models.EfficientNet;
    expect((model.classifier.at(0) as nn.Dropout).p).toBe(dropout);
    const bns = model.modules().filter((m): m is nn.BatchNorm2d => m instanceof nn.BatchNorm2d);
    expect(bns.every((b) => b.eps === eps && b.momentum === momentum)).toBe(true);
  });

  test('stochastic depth grows linearly with the block index (b0: 0.2 * i / 16)', () => {
    const probs = mbconvs(structure(() => models.efficientnet_b0())).map(
      (b) => b.stochastic_depth.p,
    );
    expect(probs).toHaveLength(16);
    probs.forEach((p, i) => expect(p).toBeCloseTo((0.2 * i) / 16, 12));
  });

  test('options override the variant: dropout, stochasticDepthProb, numClasses, inChannels', () => {
    const model = structure(() =>
      models.efficientnet_b0({
        dropout: 0.5,
        stochasticDepthProb: 0.4,
        numClasses: 10,
        inChannels: 1,
      }),
    );
    expect((model.classifier.at(0) as nn.Dropout).p).toBe(0.5);
    expect(mbconvs(model).at(-1)!.stochastic_depth.p).toBeCloseTo((0.4 * 15) / 16, 12);
    expect(model.stateDict().get('classifier.1.weight')!.shape).toEqual([10, 1280]);
    expect(model.stateDict().get('features.0.0.weight')!.shape).toEqual([32, 1, 3, 3]);
  });

  test('bad options fail early with a sentence', () => {
    expect(() => models.efficientnet_b0({ stochastic_depth_prob: 0.1 })).toThrow(
      /did you mean stochasticDepthProb/,
    );
    expect(() => models.efficientnet_b3({ stochasticDepthProb: -1 })).toThrow(
      /stochasticDepthProb/,
    );
    expect(() => models.efficientnet({} as models.CompoundEfficientNetOptions)).toThrow(/phi/);
    expect(() => models.compoundScaling(-1)).toThrow(/phi/);
    expect(() => models.compoundScaling(1, { alpha: 0.5 })).toThrow(/alpha/);
  });
});

describe('compound scaling', () => {
  test('depth alpha^phi, width beta^phi, resolution 224 gamma^phi', () => {
    expect(models.compoundScaling(0)).toEqual({ depthMult: 1, widthMult: 1, resolution: 224 });
    const s1 = models.compoundScaling(1);
    expect(s1.depthMult).toBeCloseTo(1.2, 12);
    expect(s1.widthMult).toBeCloseTo(1.1, 12);
    expect(s1.resolution).toBe(258);
    expect(models.compoundScaling(3).resolution).toBe(341);
    // alpha * beta^2 * gamma^2 ~ 2: FLOPs roughly double per unit of phi.
    expect(1.2 * 1.1 ** 2 * 1.15 ** 2).toBeCloseTo(1.92, 2);
  });

  test('phi 0 is B0; phi 1 (width 1.1, depth 1.2) has the multipliers and so the parameters of B2', () => {
    expect(count(structure(() => models.efficientnet({ phi: 0 })))).toBe(5288548);
    expect(count(structure(() => models.efficientnet({ phi: 1 })))).toBe(9109994);
    const custom = structure(() =>
      models.efficientnet({ phi: 1, alpha: 1.0, beta: 1.0, numClasses: 3 }),
    );
    expect(count(custom)).toBe(5288548 - 1281 * 997);
  });

  test('adjustDepth and adjustChannels round as torchvision', () => {
    expect([1, 2, 3, 4].map((n) => models.adjustDepth(n, 3.1))).toEqual([4, 7, 10, 13]);
    expect(models.adjustDepth(3, 1.1)).toBe(4);
    expect([32, 16, 24, 40, 80, 112, 192, 320].map((c) => models.adjustChannels(c, 1.1))).toEqual([
      32, 16, 24, 48, 88, 120, 208, 352,
    ]);
  });
});

test('efficientnet_b0 forward at 224, 64 and 32, batch 1 -> [1, numClasses]', () => {
  manualSeed(0);
  const model = models.efficientnet_b0({ numClasses: 7 }).eval();
  for (const size of [224, 64, 32]) {
    const y = tidy(() => noGrad(() => model.forward(randn([1, size, size, 3]))));
    expect(y.shape).toEqual([1, 7]);
    expect(y.data.every(Number.isFinite)).toBe(true);
    y.dispose();
  }
});

describe('stochastic depth', () => {
  const residual: models.MBConvConfig = {
    expandRatio: 6,
    kernel: 3,
    stride: 1,
    inputChannels: 8,
    outChannels: 8,
    numLayers: 1,
  };

  test('identity in eval; in training each sample keeps x + branch / (1 - p) or drops to x', () => {
    manualSeed(7);
    const block = new models.MBConv(residual, 0.5);
    const n = 64;
    const x = randn([n, 2, 2, 8]);
    noGrad(() =>
      tidy(() => {
        block.train();
        const branch = block.block.forward(x).data;
        const out = block.forward(x).data;
        const per = 2 * 2 * 8;
        let dropped = 0;
        for (let s = 0; s < n; s++) {
          let keptError = 0;
          let droppedError = 0;
          for (let i = s * per; i < (s + 1) * per; i++) {
            keptError = Math.max(keptError, Math.abs(out[i] - x.data[i] - 2 * branch[i]));
            droppedError = Math.max(droppedError, Math.abs(out[i] - x.data[i]));
          }
          if (droppedError < 1e-6) dropped++;
          else expect(keptError).toBeLessThan(1e-4);
        }
        // Binomial(64, 0.5): within +-3.5 standard deviations.
        expect(dropped).toBeGreaterThanOrEqual(18);
        expect(dropped).toBeLessThanOrEqual(46);

        // The block runs the depthwise norm and the excitation as one op (batchNormExcite),
        // which rounds differently from the layers one by one.
        block.eval();
        const a = block.forward(x).data;
        const b = F.add(block.block.forward(x), x).data;
        expect(maxRelativeError(a, b).error).toBeLessThan(1e-5);
      }),
    );
  });

  test('a block without a residual (stride 2) has no stochastic depth', () => {
    manualSeed(8);
    const block = new models.MBConv({ ...residual, stride: 2 }, 0.9);
    expect(block.useResConnect).toBe(false);
    const x = randn([4, 4, 4, 8]);
    noGrad(() =>
      tidy(() => {
        const a = block.forward(x).data;
        const b = block.block.forward(x).data;
        expect(maxRelativeError(a, b).error).toBeLessThan(1e-5);
      }),
    );
  });
});

describe('MBConv gradients (BN in training mode, stochastic depth off)', () => {
  // SiLU and sigmoid are smooth, so the finite difference is valid everywhere; a step of 1e-3
  // keeps its truncation error small where BN normalises over only N * 3 * 3 values.
  test.each([
    [
      'expand 1, 3x3, residual',
      { expandRatio: 1, kernel: 3, stride: 1, inputChannels: 8, outChannels: 8, numLayers: 1 },
    ],
    [
      'expand 6, 5x5, stride 2',
      { expandRatio: 6, kernel: 5, stride: 2, inputChannels: 4, outChannels: 8, numLayers: 1 },
    ],
    [
      'expand 4, 3x3, residual',
      { expandRatio: 4, kernel: 3, stride: 1, inputChannels: 4, outChannels: 4, numLayers: 1 },
    ],
  ] as Array<[string, models.MBConvConfig]>)('%s', (name, cnf) => {
    manualSeed(9);
    const block = new models.MBConv(cnf, 0.2).train();
    block.stochastic_depth.eval();
    const x = randomInput([2, 5, 5, cnf.inputChannels], 12);
    assertGradcheck((xi) => block.forward(xi), [x, ...block.parameters()], { name, eps: 1e-3 });
  });
});

test('MBConv in training: the expansion norm joined to the depthwise conv gives the layers-one-by-one output, gradients and running statistics', () => {
  const cnf = {
    expandRatio: 6,
    kernel: 5,
    stride: 1,
    inputChannels: 8,
    outChannels: 8,
    numLayers: 1,
  };
  manualSeed(13);
  const joined = new models.MBConv(cnf, 0).train();
  const plain = new models.MBConv(cnf, 0).train();
  plain.loadStateDict(joined.stateDict());
  const expandNorm = (joined.block.children()[0] as nn.Conv2dNormActivation).children()[1];
  const skipped = jest.spyOn(expandNorm, 'forward');
  const x = randomInput([2, 7, 6, 8], 14);
  const xPlain = randomInput([2, 7, 6, 8], 14);
  const y = joined.forward(x);
  expect(skipped).not.toHaveBeenCalled(); // the joined path ran
  skipped.mockRestore();
  const yPlain = F.add(plain.block.forward(xPlain), xPlain);
  const dy = randomInput([...y.shape], 15, { requiresGrad: false });
  F.sum(F.mul(y, dy)).backward();
  F.sum(F.mul(yPlain, dy)).backward();
  expectSameStep({ module: joined, y, x }, { module: plain, y: yPlain, x: xPlain });
});

test('MBConv runs the depthwise norm and the excitation as one op, and frees what it made', () => {
  manualSeed(11);
  const block = new models.MBConv(
    { expandRatio: 6, kernel: 3, stride: 1, inputChannels: 8, outChannels: 8, numLayers: 1 },
    0,
  ).train();
  const x = randn([2, 6, 6, 8]);
  const addon = native as unknown as Record<string, (...args: unknown[]) => unknown>;
  const calls = new Map<string, number>();
  const names = ['batchNormExcitePool', 'batchNormExciteBackward', 'adaptiveAvgPool2d'];
  const originals = names.map((name) => addon[name]);
  names.forEach((name, i) => {
    addon[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return originals[i](...args);
    };
  });
  const step = () => tidy(() => F.sum(block.forward(x)).backward());
  try {
    step();
    const live = runtime.memory.stats().liveBytes;
    step();
    expect(runtime.memory.stats().liveBytes).toBe(live);
  } finally {
    names.forEach((name, i) => (addon[name] = originals[i]));
  }
  expect(calls.get('batchNormExcitePool')).toBe(2);
  expect(calls.get('batchNormExciteBackward')).toBe(2);
  expect(calls.get('adaptiveAvgPool2d')).toBeUndefined();
});

test('efficientnet_b0 at 32x32 takes a few SGD steps on a fixed batch and the loss falls', () => {
  // Dropout and stochastic depth off: a deterministic objective whose losses compare.
  manualSeed(10);
  const model = models.efficientnet_b0({ numClasses: 4, dropout: 0, stochasticDepthProb: 0 });
  manualSeed(5);
  const x = randn([8, 32, 32, 3]);
  const labels = [0, 1, 2, 3, 0, 1, 2, 3];
  const opt = new optim.SGD(model.parameters(), { lr: 0.002, momentum: 0.9 });
  const losses: number[] = [];
  for (let step = 0; step < 12; step++)
    losses.push(
      tidy(() => {
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x), labels);
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
  const last = losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
  expect(last).toBeLessThan(losses[0] * 0.5);
});
