// MobileNetV1/V2/V3 beyond torchvision_keys.test.ts (which checks the torchvision names' keys,
// shapes and counts): V1's count, option variants against torchvision 0.14's counts, forward
// shapes, train/eval behaviour, gradient checks of every block, and a few training steps.
import { assertGradcheck, F, manualSeed, models, nn, noGrad, optim, randn, tidy } from '../../lib';
import * as expansionOp from '../../lib/ops/pointwise_norm_depthwise';
import { expectSameStep } from '../helpers';
import { randomInput } from '../ops/inputs';

const count = (m: nn.Module): number => m.parameters().reduce((n, p) => n + p.size, 0);
const structure = <T>(fn: () => T): T => nn.init.skipInit(() => noGrad(fn));

describe('parameter counts', () => {
  test('mobilenet_v1 has 4,231,976 parameters (convs without bias, BN affine)', () => {
    expect(count(structure(() => models.create('mobilenet_v1')))).toBe(4231976);
  });

  test('mobilenet_v1 keys follow the documented layout', () => {
    const keys = [
      ...structure(() => models.mobilenet_v1())
        .stateDict()
        .keys(),
    ];
    expect(keys.slice(0, 7)).toEqual([
      'features.0.0.weight',
      'features.0.1.weight',
      'features.0.1.bias',
      'features.0.1.running_mean',
      'features.0.1.running_var',
      'features.0.1.num_batches_tracked',
      'features.1.depthwise.0.weight',
    ]);
    expect(keys).toContain('features.13.pointwise.1.running_var');
    expect(keys.slice(-2)).toEqual(['classifier.1.weight', 'classifier.1.bias']);
  });

  // Expected values from torchvision 0.14 with the same options.
  test.each([
    ['mobilenet_v2', { widthMult: 0.25 }, 1519112],
    ['mobilenet_v2', { widthMult: 1.4 }, 6108776],
    ['mobilenet_v2', { numClasses: 10 }, 2236682],
    ['mobilenet_v3_small', { widthMult: 0.75 }, 1653920],
    ['mobilenet_v3_large', { reducedTail: true, dilated: true }, 2569352],
  ])('%s %j equals torchvision', (name, options, expected) => {
    expect(count(structure(() => models.create(name, options)))).toBe(expected);
  });

  test('widthMult scales MobileNetV1 like the paper (alpha 0.5: pointwise params ~ alpha^2)', () => {
    const half = structure(() => models.mobilenet_v1({ widthMult: 0.5, numClasses: 10 }));
    expect(
      (half.features.at(1) as models.DepthwiseSeparable).pointwise.at(0).parameters()[0].shape,
    ).toEqual([32, 16, 1, 1]);
    expect(count(half.classifier)).toBe(512 * 10 + 10);
  });

  test('inChannels sets the first conv', () => {
    const m = structure(() => models.mobilenet_v3_small({ inChannels: 1 }));
    expect(m.stateDict().get('features.0.0.weight')!.shape).toEqual([16, 1, 3, 3]);
  });

  test('bad options fail early with a sentence', () => {
    expect(() => models.mobilenet_v2({ width_mult: 0.5 })).toThrow(/did you mean widthMult/);
    expect(() => models.mobilenet_v1({ widthMult: 0 })).toThrow(/widthMult/);
    expect(() => models.mobilenet_v3_large({ dropout: 2 })).toThrow(/dropout/);
    expect(() => models.mobilenet_v2({ numClasses: 1.5 })).toThrow(/numClasses/);
    expect(() => new models.InvertedResidual(8, 8, 3, 6)).toThrow(/stride should be 1 or 2/);
  });

  test('makeDivisible is torchvision _make_divisible', () => {
    expect(
      [32 * 0.25, 1280, 16 * 0.35, 24 * 0.75, 72 * 0.75, 5].map((v) => models.makeDivisible(v, 8)),
    ).toEqual([8, 1280, 8, 24, 56, 8]);
    expect(models.makeDivisible(120 / 4, 8)).toBe(32);
  });
});

describe('forward shapes', () => {
  // One model per name (building with init is the slow part), run at each size.
  test.each([
    ['mobilenet_v2', [224, 64]],
    ['mobilenet_v3_small', [224, 64, 32]],
    ['mobilenet_v1', [64]],
    ['mobilenet_v3_large', [64]],
  ])('%s at %j, batch 1 -> [1, numClasses]', (name, sizes) => {
    manualSeed(0);
    const model = models.create(name, { numClasses: 7 }).eval();
    for (const size of sizes) {
      const y = tidy(() => noGrad(() => model.forward(randn([1, size, size, 3]))));
      expect(y.shape).toEqual([1, 7]);
      expect(y.data.every(Number.isFinite)).toBe(true);
      y.dispose();
    }
  });
});

describe('train vs eval', () => {
  test('classifier dropout is active in training only; BN running stats update in training only', () => {
    manualSeed(1);
    const model = models.mobilenet_v2({ widthMult: 0.25, numClasses: 5, dropout: 0.5 });
    const x = randn([2, 32, 32, 3]);
    const bn = model.features.at(0).children()[1] as nn.BatchNorm2d;
    noGrad(() =>
      tidy(() => {
        const features = F.flatten(F.adaptiveAvgPool2d(model.features.forward(x), 1));
        expect(bn.num_batches_tracked!.data[0]).toBe(1);
        const mean = bn.running_mean!.data.slice();
        expect(mean.some((v) => v !== 0)).toBe(true);
        const a = model.classifier.forward(features).toArray();
        const b = model.classifier.forward(features).toArray();
        expect(a).not.toEqual(b);

        model.eval();
        const c = model.forward(x).toArray();
        const d = model.forward(x).toArray();
        expect(c).toEqual(d);
        expect(bn.num_batches_tracked!.data[0]).toBe(1);
        expect(bn.running_mean!.data).toEqual(mean);
      }),
    );
  });

  test('MobileNetV3 BatchNorm uses eps 1e-3 and momentum 0.01', () => {
    const m = structure(() => models.mobilenet_v3_small());
    const bns = m.modules().filter((x): x is nn.BatchNorm2d => x instanceof nn.BatchNorm2d);
    expect(bns.length).toBe(34);
    expect(bns.every((b) => b.eps === 1e-3 && b.momentum === 0.01)).toBe(true);
  });
});

describe('block gradients (BN in training mode)', () => {
  // A finite difference cannot straddle a kink, and a block holds hundreds of ReLU/ReLU6/
  // hard-swish inputs: some always sit within the step of 0 (checked against PyTorch in float64:
  // the analytic gradients agree to 1e-6, the float64 finite difference itself is off by 10%
  // at h = 1e-2). So every BN's affine maps its normalised output to about 1.5 +- 0.4 * 3,
  // inside the smooth piece of each activation, and the SE fc1 bias is 3 (ReLU and hard-sigmoid away from their kinks). The
  // activations' own gradients, kinks included, are checked in test/ops.
  function check(name: string, block: nn.Module, shape: number[]): void {
    manualSeed(3);
    for (const m of block.modules()) {
      if (m instanceof nn.BatchNorm2d) {
        m.weight!.data.fill(0.4);
        m.bias!.data.fill(1.5);
      } else if (m instanceof nn.SqueezeExcitation) m.fc1.bias!.data.fill(3);
    }
    const x = randomInput(shape, 11);
    block.train();
    assertGradcheck((xi) => block.forward(xi), [x, ...block.parameters()], { name });
  }

  test.each([
    ['expand 1, stride 1 (residual)', 6, 6, 1, 1],
    ['expand 6, stride 1 (residual)', 4, 4, 1, 6],
    ['expand 6, stride 2', 4, 6, 2, 6],
    ['expand 1, stride 2', 4, 8, 2, 1],
  ])('InvertedResidual %s', (name, inp, oup, stride, t) => {
    const block = new models.InvertedResidual(inp, oup, stride, t);
    expect(block.useResConnect).toBe(stride === 1 && inp === oup);
    check(name, block, [2, 5, 5, inp]);
  });

  test('the skip added inside the last batch norm equals x + conv(x), bit for bit', () => {
    // Expand ratio 1: no expansion norm inside the depthwise conv (its batch statistics are
    // summed over other runs of rows than the plain blocks', which moves the last bits).
    const block = new models.InvertedResidual(8, 8, 1, 1);
    for (const training of [false, true]) {
      block.train(training);
      const x = randomInput([2, 5, 5, 8], 12);
      const fused = block.forward(x);
      const plain = F.add(x, block.conv.forward(x));
      expect(Array.from(fused.data)).toEqual(Array.from(plain.data));
    }
  });

  test.each([
    [8, 8, 1],
    [8, 6, 2],
  ])(
    "training %i -> %i stride %i: the expansion, its norm and the depthwise conv as one op and the depthwise block's norm inside the projection give the blocks-one-by-one output, gradients and running statistics",
    (inp, oup, stride) => {
      const fused = new models.InvertedResidual(inp, oup, stride, 6).train();
      const plain = new models.InvertedResidual(inp, oup, stride, 6).train();
      plain.loadStateDict(fused.stateDict());
      const expandNorm = (fused.conv.children()[0] as nn.Conv2dNormActivation).children()[1];
      const depthwiseNorm = (fused.conv.children()[1] as nn.Conv2dNormActivation).children()[1];
      const skipped = jest.spyOn(expandNorm, 'forward');
      const skippedToo = jest.spyOn(depthwiseNorm, 'forward');
      const joined = jest.spyOn(expansionOp, 'pointwiseNormDepthwise');
      const x = randomInput([2, 7, 5, inp], 21);
      const xPlain = randomInput([2, 7, 5, inp], 21);
      const yFused = fused.forward(x);
      expect(skipped).not.toHaveBeenCalled(); // the fused paths ran
      expect(skippedToo).not.toHaveBeenCalled();
      expect(joined).toHaveBeenCalledTimes(1);
      skippedToo.mockRestore();
      joined.mockRestore();
      const convOut = plain.conv.forward(xPlain);
      const yPlain = fused.useResConnect ? F.add(xPlain, convOut) : convOut;
      const dy = randomInput([...yFused.shape], 22, { requiresGrad: false });
      F.sum(F.mul(yFused, dy)).backward();
      F.sum(F.mul(yPlain, dy)).backward();
      expectSameStep({ module: fused, y: yFused, x }, { module: plain, y: yPlain, x: xPlain });
      skipped.mockRestore();
    },
  );

  test("training: the stem's norm inside block 1's depthwise conv gives the layer-by-layer features, gradients and running statistics", () => {
    // The stem and two blocks in the model's features class (its full depth amplifies float
    // differences through 17 batch norms over few values).
    const head = (m: models.MobileNetV2): nn.Sequential => {
      const Features = m.features.constructor as new (...layers: nn.Module[]) => nn.Sequential;
      return new Features(...m.features.children().slice(0, 3)).train();
    };
    const full = models.mobilenet_v2({ numClasses: 10, widthMult: 0.5 });
    const copy = models.mobilenet_v2({ numClasses: 10, widthMult: 0.5 });
    copy.loadStateDict(full.stateDict());
    const [fused, plain] = [head(full), head(copy)];
    const stemNorm = (fused.children()[0] as nn.Conv2dNormActivation).children()[1];
    const skipped = jest.spyOn(stemNorm, 'forward');
    const x = randomInput([2, 17, 13, 3], 31);
    const xPlain = randomInput([2, 17, 13, 3], 31);
    const yFused = fused.forward(x);
    expect(skipped).not.toHaveBeenCalled(); // the joined path ran
    const yPlain = nn.Sequential.prototype.forward.call(plain, xPlain);
    const dy = randomInput([...yFused.shape], 32, { requiresGrad: false });
    F.sum(F.mul(yFused, dy)).backward();
    F.sum(F.mul(yPlain, dy)).backward();
    expectSameStep({ module: fused, y: yFused, x }, { module: plain, y: yPlain, x: xPlain });
    skipped.mockRestore();
    // In eval the stem runs on its own (its norm is called).
    fused.eval();
    const evalSpy = jest.spyOn(stemNorm, 'forward');
    fused.forward(x);
    expect(evalSpy).toHaveBeenCalled();
    evalSpy.mockRestore();
  });

  test.each([
    [
      'SE + hardswish, 5x5, residual',
      {
        inputChannels: 4,
        kernel: 5,
        expandedChannels: 12,
        outChannels: 4,
        useSe: true,
        activation: 'HS',
        stride: 1,
        dilation: 1,
      },
    ],
    [
      'SE + ReLU, no expand, stride 2',
      {
        inputChannels: 8,
        kernel: 3,
        expandedChannels: 8,
        outChannels: 6,
        useSe: true,
        activation: 'RE',
        stride: 2,
        dilation: 1,
      },
    ],
    [
      'hardswish, dilated',
      {
        inputChannels: 4,
        kernel: 3,
        expandedChannels: 8,
        outChannels: 4,
        useSe: false,
        activation: 'HS',
        stride: 2,
        dilation: 2,
      },
    ],
  ] as Array<[string, models.InvertedResidualV3Config]>)('InvertedResidualV3 %s', (name, cnf) => {
    const block = new models.InvertedResidualV3(cnf);
    check(name, block, [2, 5, 5, cnf.inputChannels]);
  });

  test.each([
    [1, 4, 8],
    [2, 6, 4],
  ])('DepthwiseSeparable stride %i, %i -> %i', (stride, inp, oup) => {
    check(`DepthwiseSeparable s${stride}`, new models.DepthwiseSeparable(inp, oup, stride), [
      2,
      5,
      5,
      inp,
    ]);
  });
});

describe('training on a fixed batch', () => {
  // Dropout 0 makes the objective deterministic, so losses of different steps compare. At 32x32
  // the last stages are 1x1 and BN normalises over the batch alone: the loss is jumpy for a few
  // steps (PyTorch's mobilenet_v2 behaves the same), so compare the mean of the last three.
  // MobileNetV2 runs at 48x48 (2x2 last stages): at 32x32 its trajectory hung on the last bits
  // of the gradients (summed in another order, the mean of the last three went 0.08 -> 1.5).
  test.each([
    ['mobilenet_v3_small', {}, 0.02, 12, 32],
    ['mobilenet_v2', { widthMult: 0.25 }, 0.01, 20, 48],
  ])(
    '%s %j: the loss falls (SGD lr %d, %i steps, %i pixels square)',
    (name, options, lr, steps, size) => {
      manualSeed(4);
      const model = models.create(name, { numClasses: 4, dropout: 0, ...options });
      manualSeed(5);
      const x = randn([8, size, size, 3]);
      const labels = [0, 1, 2, 3, 0, 1, 2, 3];
      const opt = new optim.SGD(model.parameters(), { lr, momentum: 0.9 });
      const losses: number[] = [];
      for (let step = 0; step < steps; step++)
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
    },
  );
});
