// Gradient checks of linear, dropout, softmax / logSoftmax and the losses.
import { assertGradcheck } from '../../lib/autograd';
import * as F from '../../lib/ops';
import { Generator } from '../../lib/random';
import { tensor } from '../../lib/tensor';
import { randomInput } from './inputs';

test('linear with and without bias', () => {
  const x = randomInput([3, 5], 1);
  const w = randomInput([4, 5], 2);
  const b = randomInput([4], 3);
  assertGradcheck((a, c, d) => F.linear(a, c, d), [x, w, b], { name: 'linear' });
  assertGradcheck((a, c) => F.linear(a, c), [x, w], { name: 'linear no bias' });
});

test('dropout (a fixed mask per call through a fixed generator)', () => {
  const x = randomInput([4, 7], 4);
  for (const p of [0.2, 0.5])
    assertGradcheck((a) => F.dropout(a, p, { generator: new Generator(9) }), [x], {
      name: `dropout ${p}`,
    });
});

test('softmax and logSoftmax over the last axis', () => {
  const x = randomInput([3, 6], 5, { scale: 3 });
  assertGradcheck(F.softmax, [x], { name: 'softmax' });
  assertGradcheck(F.logSoftmax, [x], { name: 'logSoftmax' });
});

describe('crossEntropy and nllLoss', () => {
  const labels = [2, 0, 4, 1, 4];
  const weight = tensor([0.5, 1, 2, 1.5, 0.25]);
  const cases: Array<[string, F.CrossEntropyOptions]> = [
    ['mean', {}],
    ['sum', { reduction: 'sum' }],
    ['none', { reduction: 'none' }],
    ['label smoothing', { labelSmoothing: 0.1 }],
    ['class weights', { weight }],
    ['weights and smoothing', { weight, labelSmoothing: 0.2 }],
    ['ignoreIndex', { ignoreIndex: 4 }],
  ];
  test.each(cases)('crossEntropy %s', (name, options) => {
    assertGradcheck(
      (z) => F.crossEntropy(z, labels, options),
      [randomInput([5, 5], 6, { scale: 2 })],
      { name },
    );
  });
  test.each(cases.filter(([n]) => !n.includes('smoothing')))('nllLoss %s', (name, options) => {
    assertGradcheck((z) => F.nllLoss(F.logSoftmax(z), labels, options), [randomInput([5, 5], 7)], {
      name,
    });
  });
});

test('mseLoss w.r.t. input and target', () => {
  for (const reduction of ['mean', 'sum', 'none'] as const)
    assertGradcheck(
      (a, b) => F.mseLoss(a, b, { reduction }),
      [randomInput([3, 4], 8), randomInput([3, 4], 9)],
      { name: `mse ${reduction}` },
    );
});

test('matmul 2-D, batched, and batched with a shared right operand', () => {
  assertGradcheck(F.matmul, [randomInput([3, 4], 10), randomInput([4, 2], 11)], {
    name: 'matmul 2-D',
  });
  assertGradcheck(F.matmul, [randomInput([2, 3, 4], 12), randomInput([2, 4, 5], 13)], {
    name: 'matmul 3-D',
  });
  assertGradcheck(F.matmul, [randomInput([2, 3, 4], 14), randomInput([4, 5], 15)], {
    name: 'matmul shared',
  });
});

test('tensor methods are the functional ops', () => {
  const x = randomInput([2, 3], 16);
  const y = randomInput([3], 17);
  expect(Array.from(x.add(y).data)).toEqual(Array.from(F.add(x, y).data));
  expect(x.mul(2).sum().item()).toBeCloseTo(2 * F.sum(x).item(), 5);
  expect(x.mean([1], true).shape).toEqual([2, 1]);
  expect(x.permute(1, 0).shape).toEqual([3, 2]);
  assertGradcheck(
    (a) => a.sub(1).div(3).relu().mean(),
    [randomInput([4, 4], 18, { avoid: [1], margin: 0.1 })],
  );
});
