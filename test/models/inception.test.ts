// GoogLeNet and Inception v3: gradient checks of every block at tiny sizes, forward shapes at
// small and native resolutions, the aux heads (counts against torchvision with aux, key
// placement, outputs in train/eval), dropout in train vs eval, transformInput, init.
// (torchvision names without aux: torchvision_keys.test.ts.)
import { assertGradcheck } from '../../lib/autograd';
import { manualSeed, models, nn, noGrad, rand, tensor, tidy, type Tensor } from '../../lib';
import { distinctInput, randomInput } from '../ops/inputs';
import { quickFill } from './quick_fill';

const count = (m: nn.Module): number => m.parameters().reduce((n, p) => n + p.size, 0);
const std = (t: Tensor) => Math.sqrt(t.data.reduce((s, v) => s + v * v, 0) / t.size);
// Small finite-difference step: many BN + ReLU outputs, so a step of 1e-2 would cross kinks.
const eps = 1e-3;

describe('gradients of the blocks (train mode: batch statistics)', () => {
  beforeEach(() => manualSeed(11));

  test('BasicConv2d (1x7, stride 1)', () => {
    const block = new models.BasicConv2d(3, 4, [1, 7], { padding: [0, 3] });
    const x = randomInput([2, 4, 5, 3], 1, { scale: 2 });
    expect(block.forward(x).shape).toEqual([2, 4, 5, 4]);
    assertGradcheck((xi) => block.forward(xi), [x, block.conv.weight], {
      name: 'BasicConv2d',
      eps,
    });
  });

  test('Inception (v1 module; max-pool branch on distinct values)', () => {
    const block = new models.Inception(4, 2, 3, 4, 2, 3, 2);
    const x = distinctInput([2, 5, 5, 4], 2, 0.02);
    expect(block.forward(x).shape).toEqual([2, 5, 5, 2 + 4 + 3 + 2]);
    assertGradcheck((xi) => block.forward(xi), [x, block.branch1.conv.weight], {
      name: 'Inception',
      eps,
    });
  });

  test('InceptionAux (v1; dropout off for the check)', () => {
    const block = new models.InceptionAux(4, 3);
    block.dropout.eval();
    const x = randomInput([2, 6, 6, 4], 3, { scale: 2 });
    expect(block.forward(x).shape).toEqual([2, 3]);
    assertGradcheck((xi) => block.forward(xi), [x, block.fc2.weight], {
      name: 'InceptionAux',
      eps,
    });
  });

  // The wide modules (hundreds of BN + ReLU channels) are checked with every BN shifted by +4,
  // i.e. with the ReLUs in their linear region: even a step of 1e-3 crosses some kinks among
  // thousands of units. The ReLU masks are covered by the narrow blocks above and by InceptionA.
  const kinkFree = (block: nn.Module): nn.Module => {
    for (const m of block.modules()) if (m instanceof nn.BatchNorm2d) m.bias!.data.fill(4);
    return block;
  };
  const cases: Array<[string, () => nn.Module, number[], number[]]> = [
    [
      'InceptionA',
      () => kinkFree(new models.InceptionA(4, 3)),
      [2, 5, 5, 4],
      [2, 5, 5, 64 + 64 + 96 + 3],
    ],
    ['InceptionB', () => kinkFree(new models.InceptionB(4)), [2, 5, 5, 4], [2, 2, 2, 384 + 96 + 4]],
    [
      'InceptionC (1x7 / 7x1)',
      () => kinkFree(new models.InceptionC(4, 3)),
      [2, 5, 5, 4],
      [2, 5, 5, 768],
    ],
    [
      'InceptionD',
      () => kinkFree(new models.InceptionD(4)),
      [2, 5, 5, 4],
      [2, 2, 2, 320 + 192 + 4],
    ],
    [
      'InceptionE (1x3 / 3x1)',
      () => kinkFree(new models.InceptionE(4)),
      [2, 3, 3, 4],
      [2, 3, 3, 2048],
    ],
    ['InceptionAuxV3', () => new models.InceptionAuxV3(4, 3), [2, 17, 17, 4], [2, 3]],
  ];
  test.each(cases)('%s', (name, make, inShape, outShape) => {
    const block = make();
    const x = distinctInput(inShape, 4, 0.01);
    expect(block.forward(x).shape).toEqual(outShape);
    assertGradcheck((xi) => block.forward(xi), [x], { name, eps });
  });
});

describe('googlenet', () => {
  test('aux heads: counts and entries as torchvision with aux_logits=True; placed after inception5b', () => {
    const model = nn.init.skipInit(() => models.googlenet({ auxLogits: true }));
    expect(count(model)).toBe(13004888);
    expect(model.stateDict().size).toBe(364);
    const keys = [...model.stateDict().keys()];
    expect(keys[keys.indexOf('aux1.conv.conv.weight') - 1]).toBe(
      'inception5b.branch4.1.bn.num_batches_tracked',
    );
    expect(keys.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
  });

  test('forward at 64x64; aux logits in training only; dropout in training only', () => {
    tidy(() =>
      noGrad(() => {
        const model = nn.init.skipInit(
          () => quickFill(models.googlenet({ auxLogits: true, numClasses: 7 })) as models.GoogLeNet,
        );
        const x = rand([2, 64, 64, 3]);
        model.train();
        const out = model.forwardWithAux(x);
        expect([out.logits.shape, out.aux1?.shape, out.aux2?.shape]).toEqual([
          [2, 7],
          [2, 7],
          [2, 7],
        ]);
        expect(model.forward(x).shape).toEqual([2, 7]);
        expect(model.forward(x).toArray()).not.toEqual(model.forward(x).toArray());
        model.eval();
        const evalOut = model.forwardWithAux(x);
        expect([evalOut.aux1, evalOut.aux2]).toEqual([null, null]);
        expect(model.forward(x).toArray()).toEqual(evalOut.logits.toArray());
        expect(model.forward(rand([1, 32, 32, 3])).shape).toEqual([1, 7]);
      }),
    );
  });

  test("transformInput maps ImageNet normalisation to Google's (x - 0.5) / 0.5 per channel", () => {
    const y = models
      .transformImageNetInput(tensor([0, 0, 0, 1, 1, 1], [1, 1, 2, 3]))
      .toArray() as number[][][][];
    const expected = [
      [(0.485 - 0.5) / 0.5, (0.456 - 0.5) / 0.5, (0.406 - 0.5) / 0.5],
      [(0.229 + 0.485 - 0.5) / 0.5, (0.224 + 0.456 - 0.5) / 0.5, (0.225 + 0.406 - 0.5) / 0.5],
    ];
    y[0][0].forEach((pixel, i) =>
      pixel.forEach((v, c) => expect(v).toBeCloseTo(expected[i][c], 5)),
    );
    expect(() => models.googlenet({ transformInput: true, inChannels: 1 })).toThrow(
      /needs inChannels 3/,
    );
  });

  test('init: truncated normal std 0.01 for convs and linears, BN 1/0', () => {
    manualSeed(12);
    const block = new models.Inception(192, 64, 96, 128, 16, 32, 32);
    const fc = new nn.Linear(1024, 1000);
    models.initGoogLeNetWeights(new nn.Sequential(block, fc));
    expect(std((block.branch2.at(1) as models.BasicConv2d).conv.weight) / 0.01).toBeCloseTo(1, 1);
    expect(std(fc.weight) / 0.01).toBeCloseTo(1, 1);
    expect(Math.max(...fc.bias!.data.map(Math.abs))).toBeLessThanOrEqual(1 / 32);
  });
});

describe('inception_v3', () => {
  test('AuxLogits: count and entries as torchvision with aux_logits=True; keys between Mixed_6e and Mixed_7a', () => {
    const model = nn.init.skipInit(() => models.inception_v3({ auxLogits: true }));
    expect(count(model)).toBe(27161264);
    expect(model.stateDict().size).toBe(580);
    const keys = [...model.stateDict().keys()];
    const first = keys.findIndex((k) => k.startsWith('AuxLogits'));
    expect(first).toBe(420);
    expect(keys[first - 1]).toBe('Mixed_6e.branch_pool.bn.num_batches_tracked');
    expect(keys[first + 14]).toBe('Mixed_7a.branch3x3_1.conv.weight');
  });

  test('forward at its minimum 75x75 (batch 2, train and eval); smaller fails with a sentence', () => {
    tidy(() =>
      noGrad(() => {
        const model = nn.init.skipInit(() => quickFill(models.inception_v3({ numClasses: 5 })));
        const x = rand([2, 75, 75, 3]);
        model.train();
        expect(model.forward(x).shape).toEqual([2, 5]);
        model.eval();
        const y = model.forward(x);
        expect(y.shape).toEqual([2, 5]);
        expect(model.forward(x).toArray()).toEqual(y.toArray());
        expect(() => model.forward(rand([1, 74, 80, 3]))).toThrow(/at least 75x75/);
      }),
    );
  });

  test('forward at 299 (batch 1) with the aux head in training', () => {
    tidy(() =>
      noGrad(() => {
        const model = nn.init.skipInit(
          () => quickFill(models.inception_v3({ auxLogits: true })) as models.Inception3,
        );
        model.train();
        const out = model.forwardWithAux(rand([2, 299, 299, 3]));
        expect([out.logits.shape, out.aux?.shape]).toEqual([
          [2, 1000],
          [2, 1000],
        ]);
        model.eval();
        expect(model.forwardWithAux(rand([1, 299, 299, 3])).aux).toBeNull();
      }),
    );
  });

  test("init: truncated normal std 0.1, the aux head's fc 0.001", () => {
    manualSeed(13);
    const a = new models.InceptionA(192, 32);
    const aux = new models.InceptionAuxV3(768, 1000);
    models.initInception3Weights(new nn.Sequential(a, aux));
    expect(std(a.branch5x5_2.conv.weight) / 0.1).toBeCloseTo(1, 1);
    expect(std(aux.conv1.conv.weight) / 0.1).toBeCloseTo(1, 1); // torchvision's stddev 0.01 there is never read
    expect(std(aux.fc.weight) / 0.001).toBeCloseTo(1, 1);
  });

  test('registry entries and early errors', () => {
    expect(models.info('googlenet')).toMatchObject({
      family: 'inception',
      inputSize: 224,
      inChannels: 3,
    });
    expect(models.info('googlenet').paper).toMatch(
      /Going Deeper with Convolutions \(Szegedy et al., 2015\)/,
    );
    expect(models.info('inception_v3')).toMatchObject({
      family: 'inception',
      inputSize: 299,
      inChannels: 3,
    });
    expect(models.info('inception_v3').paper).toMatch(
      /Rethinking the Inception Architecture.*Szegedy et al., 2016/,
    );
    expect(() => models.inception_v3({ aux_logits: true })).toThrow(/unknown option 'aux_logits'/);
    expect(() => models.googlenet({ dropout: 1.5 })).toThrow(/probability/);
  });
});
