// Gradient checks of conv2d, batchNorm and the activations over their option matrices.
import { assertGradcheck } from '../../lib/autograd';
import * as F from '../../lib/ops';
import { randomInput } from './inputs';

describe('conv2d', () => {
  const cases: Array<[string, number[], number[], F.Conv2dOptions, boolean]> = [
    ['3x3 pad 1', [2, 5, 6, 3], [4, 3, 3, 3], { padding: 1 }, true],
    ['stride 2', [1, 7, 6, 2], [3, 2, 3, 3], { stride: 2, padding: 1 }, false],
    ['asymmetric padding', [1, 5, 5, 2], [2, 2, 2, 3], { padding: [0, 1, 2, 1] }, true],
    ['dilation 2', [1, 7, 7, 2], [2, 2, 3, 3], { dilation: 2, padding: 2 }, false],
    ['groups 2', [1, 5, 5, 4], [6, 2, 3, 3], { groups: 2, padding: 1 }, true],
    ['1x1', [2, 3, 4, 5], [3, 5, 1, 1], {}, true],
    [
      '1x3 and stride [1,2]',
      [1, 4, 7, 3],
      [2, 3, 1, 3],
      { stride: [1, 2], padding: [0, 1] },
      false,
    ],
    ['same padding', [1, 6, 5, 2], [3, 2, 3, 3], { padding: 'same' }, true],
    ['depthwise 3x3', [2, 5, 6, 3], [3, 1, 3, 3], { groups: 3, padding: 1 }, true],
    [
      'depthwise multiplier 2, stride 2',
      [1, 7, 6, 2],
      [4, 1, 3, 3],
      { groups: 2, stride: 2, padding: 1 },
      false,
    ],
    [
      'depthwise 5x5 dilation 2',
      [1, 9, 9, 4],
      [4, 1, 5, 5],
      { groups: 4, dilation: 2, padding: [4, 3, 2, 4] },
      true,
    ],
  ];
  test.each(cases)('%s', (_name, xShape, wShape, options, withBias) => {
    const x = randomInput(xShape, 1);
    const w = randomInput(wShape, 2, { scale: 0.5 });
    const b = withBias ? randomInput([wShape[0]], 3) : null;
    const inputs = b ? [x, w, b] : [x, w];
    assertGradcheck((xi, wi, bi) => F.conv2d(xi, wi, bi ?? null, options), inputs, {
      name: `conv2d ${_name}`,
    });
  });
});

describe('batchNorm', () => {
  for (const training of [true, false])
    for (const activation of ['none', 'relu', 'relu6', 'silu'] as const)
      test(`training=${training} activation=${activation}`, () => {
        const C = 3;
        const x = randomInput([2, 3, 4, C], 4, { scale: 2 });
        const w = randomInput([C], 5, { avoid: [0], margin: 0.3 });
        const b = randomInput([C], 6);
        const runningMean = randomInput([C], 7, { requiresGrad: false });
        const runningVar = randomInput([C], 8, { requiresGrad: false });
        runningVar.data.forEach((v, i) => (runningVar.data[i] = Math.abs(v) + 0.5));
        // Running stats are updated on every training forward; keep copies so each finite
        // difference sees the same starting state (their values do not affect the output).
        assertGradcheck(
          (xi, wi, bi) => {
            const out = F.batchNorm(xi, {
              weight: wi,
              bias: bi,
              training,
              runningMean: runningMean.clone(),
              runningVar: runningVar.clone(),
              activation,
            });
            return out;
          },
          [x, w, b],
          { name: `batchNorm ${training} ${activation}` },
        );
      });
});

describe('batchNorm with a residual (a ResNet block tail: act(bn(x) + residual))', () => {
  for (const training of [true, false])
    for (const activation of ['none', 'relu', 'relu6'] as const)
      test(`training=${training} activation=${activation}`, () => {
        const C = 3;
        const x = randomInput([2, 3, 4, C], 14, { scale: 2 });
        const w = randomInput([C], 15, { avoid: [0], margin: 0.3 });
        const b = randomInput([C], 16);
        const r = randomInput([2, 3, 4, C], 17, { scale: 2 });
        const runningMean = randomInput([C], 18, { requiresGrad: false });
        const runningVar = randomInput([C], 19, { requiresGrad: false });
        runningVar.data.forEach((v, i) => (runningVar.data[i] = Math.abs(v) + 0.5));
        assertGradcheck(
          (xi, wi, bi, ri) =>
            F.batchNorm(xi, {
              weight: wi,
              bias: bi,
              training,
              runningMean: runningMean.clone(),
              runningVar: runningVar.clone(),
              activation,
              residual: ri,
            }),
          [x, w, b, r],
          { name: `batchNorm+residual ${training} ${activation}` },
        );
      });
});

describe('batchNorm with excite (a squeeze-and-excitation fused into the norm)', () => {
  for (const training of [true, false])
    for (const activation of ['none', 'silu'] as const)
      test(`training=${training} activation=${activation}`, () => {
        const C = 3;
        const x = randomInput([2, 3, 4, C], 24, { scale: 2 });
        const w = randomInput([C], 25, { avoid: [0], margin: 0.3 });
        const b = randomInput([C], 26);
        const fc = randomInput([C, C, 1, 1], 27);
        const fcBias = randomInput([C], 28);
        const runningMean = randomInput([C], 29, { requiresGrad: false });
        const runningVar = randomInput([C], 30, { requiresGrad: false });
        runningVar.data.forEach((v, i) => (runningVar.data[i] = Math.abs(v) + 0.5));
        assertGradcheck(
          (xi, wi, bi, fi, fbi) =>
            F.batchNorm(xi, {
              weight: wi,
              bias: bi,
              training,
              runningMean: runningMean.clone(),
              runningVar: runningVar.clone(),
              activation,
              excite: (pooled) => F.sigmoid(F.conv2d(pooled, fi, fbi)),
            }),
          [x, w, b, fc, fcBias],
          { name: `batchNorm+excite ${training} ${activation}` },
        );
      });
});

describe('depthwise conv2d of a batch norm (inputNorm: conv(act(bn(x))) in one op)', () => {
  const cases: Array<[string, boolean, 'none' | 'relu' | 'relu6', F.Conv2dOptions, boolean]> = [
    ['3x3 pad 1', true, 'relu6', { padding: 1 }, true],
    ['3x3 stride 2', true, 'relu', { stride: 2, padding: 1 }, false],
    ['5x5 pad [2,1,0,2]', true, 'none', { padding: [2, 1, 0, 2] }, true],
    ['eval, 3x3 pad 1', false, 'relu6', { padding: 1 }, false],
  ];
  test.each(cases)(
    '%s training=%s activation=%s',
    (_name, training, activation, opts, withBias) => {
      const C = 3;
      const x = randomInput([2, 5, 4, C], 34, { scale: 2 });
      const gamma = randomInput([C], 35, { avoid: [0], margin: 0.3 });
      const beta = randomInput([C], 36);
      const K = opts.padding && Array.isArray(opts.padding) ? 5 : 3;
      const w = randomInput([C, 1, K, K], 37, { scale: 0.5 });
      const b = randomInput([C], 38);
      const runningMean = randomInput([C], 39, { requiresGrad: false });
      const runningVar = randomInput([C], 40, { requiresGrad: false });
      runningVar.data.forEach((v, i) => (runningVar.data[i] = Math.abs(v) + 0.5));
      const inputs = withBias ? [x, gamma, beta, w, b] : [x, gamma, beta, w];
      assertGradcheck(
        (xi, gi, bi, wi, cbi) =>
          F.conv2d(
            xi,
            wi,
            cbi ?? null,
            { ...opts, groups: C },
            {
              inputNorm: {
                weight: gi,
                bias: bi,
                training,
                runningMean: runningMean.clone(),
                runningVar: runningVar.clone(),
                activation,
              },
            },
          ),
        inputs,
        { name: `conv2d inputNorm ${_name}` },
      );
    },
  );
});

describe('activations', () => {
  const cases: Array<[string, (x: F.Tensor) => F.Tensor, number[]]> = [
    ['relu', F.relu, [0]],
    ['relu6', F.relu6, [0, 6]],
    ['leakyRelu', (x) => F.leakyRelu(x, 0.2), [0]],
    ['sigmoid', F.sigmoid, []],
    ['tanh', F.tanh, []],
    ['silu', F.silu, []],
    ['hardswish', F.hardswish, [-3, 3]],
    ['hardsigmoid', F.hardsigmoid, [-3, 3]],
    ['gelu', F.gelu, []],
    ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' }), []],
  ];
  test.each(cases)('%s', (name, fn, kinks) => {
    const x = randomInput([3, 4, 5], 9, { avoid: kinks, scale: 7 });
    assertGradcheck(fn, [x], { name });
  });
});
