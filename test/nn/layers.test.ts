// Layer semantics as PyTorch's: BatchNorm2d statistics, Dropout and StochasticDepth in train
// and eval, SE and Conv2dNormActivation keys and fusion.
import { F, manualSeed, nn, noGrad, ones, randn, tensor } from '../../lib';
import type { Tensor } from '../../lib';
import { assertGradcheck } from '../../lib/autograd';
import { expectThrows, maxRelativeError } from '../helpers';
import { randomInput } from '../ops/inputs';

describe('BatchNorm2d', () => {
  test('training updates running stats with momentum and the unbiased variance; eval uses them', () => {
    const bn = new nn.BatchNorm2d(1);
    const x = tensor([1, 2, 3, 4], [1, 2, 2, 1]); // mean 2.5, biased var 1.25, unbiased 5/3
    const y = bn.forward(x);
    expect(bn.running_mean!.data[0]).toBeCloseTo(0.25, 6);
    expect(bn.running_var!.data[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 6);
    expect(bn.num_batches_tracked!.item()).toBe(1);
    expect(y.data[0]).toBeCloseTo((1 - 2.5) / Math.sqrt(1.25 + 1e-5), 5);
    bn.eval();
    const z = bn.forward(x);
    expect(z.data[0]).toBeCloseTo((1 - 0.25) / Math.sqrt(bn.running_var!.data[0] + 1e-5), 5);
    expect(bn.num_batches_tracked!.item()).toBe(1);
  });
  test('momentum null is the cumulative average', () => {
    const bn = new nn.BatchNorm2d(1, { momentum: null });
    bn.forward(tensor([0, 2], [1, 1, 2, 1]));
    bn.forward(tensor([4, 6], [1, 1, 2, 1]));
    expect(bn.running_mean!.data[0]).toBeCloseTo(3, 6); // (1 + 5) / 2
  });
  test('one value per channel in training is an error, as PyTorch', () => {
    expectThrows(
      () => new nn.BatchNorm2d(2).forward(ones([1, 1, 1, 2])),
      'RangeError',
      /more than 1 value per channel/,
    );
  });
});

describe('Dropout and StochasticDepth', () => {
  test('Dropout drops about p, scales by 1/(1-p), and is the identity in eval', () => {
    manualSeed(1);
    const d = new nn.Dropout(0.3);
    const y = d.forward(ones([100000]));
    const zeros = y.data.filter((v) => v === 0).length / y.size;
    expect(zeros).toBeGreaterThan(0.29);
    expect(zeros).toBeLessThan(0.31);
    expect(y.data.find((v) => v !== 0)).toBeCloseTo(1 / 0.7, 5);
    d.eval();
    const x = randn([5]);
    expect(d.forward(x)).toBe(x);
  });
  test("StochasticDepth 'row' drops whole samples at rate p; eval is the identity", () => {
    manualSeed(2);
    const sd = new nn.StochasticDepth(0.25, 'row');
    const y = sd.forward(ones([4000, 2, 2, 3]));
    let dropped = 0;
    for (let n = 0; n < 4000; n++) {
      const sample = y.data.subarray(n * 12, (n + 1) * 12);
      expect(new Set(sample).size).toBe(1); // all or nothing per sample
      if (sample[0] === 0) dropped++;
      else expect(sample[0]).toBeCloseTo(1 / 0.75, 5);
    }
    expect(dropped / 4000).toBeGreaterThan(0.22);
    expect(dropped / 4000).toBeLessThan(0.28);
    sd.eval();
    const x = randn([2, 2]);
    expect(sd.forward(x)).toBe(x);
  });
});

describe('blocks', () => {
  test('SqueezeExcitation keys and gradient', () => {
    const se = new nn.SqueezeExcitation(8, 2);
    expect([...se.stateDict().keys()]).toEqual([
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
    const x = randomInput([2, 3, 3, 8], 1);
    assertGradcheck((t) => se.forward(t), [x], { name: 'SqueezeExcitation' });
  });
  test('Conv2dNormActivation keys, fused BN+ReLU equals the unfused sequence', () => {
    manualSeed(4);
    const block = new nn.Conv2dNormActivation(3, 4, 3, { stride: 2 });
    expect([...block.stateDict().keys()]).toEqual([
      '0.weight',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    const x = randn([2, 7, 7, 3]);
    block.eval();
    const fused = noGrad(() => block.forward(x));
    const [conv, bn] = block.children() as [nn.Conv2d, nn.BatchNorm2d];
    bn.activation = 'none';
    const unfused = noGrad(() => F.relu(bn.forward(conv.forward(x))));
    expect(fused.shape).toEqual([2, 4, 4, 4]);
    expect(maxRelativeError(fused.data, unfused.data).error).toBeLessThan(1e-6);
  });
  test('Conv2dNormActivation trains (gradient check in training mode, smooth activation)', () => {
    const block = new nn.Conv2dNormActivation(2, 3, 3, { activationLayer: nn.SiLU });
    assertGradcheck((t) => block.forward(t), [randomInput([2, 4, 4, 2], 5)], {
      name: 'Conv2dNormActivation',
    });
  });
  test('in training, 1x1 and depthwise blocks hand the batch norm statistics summed by the convolution: same outputs, gradients and running stats as conv then batch norm', () => {
    for (const [cin, cout, k, groups, act] of [
      [13, 17, 1, 1, nn.ReLU6],
      [7, 7, 3, 7, nn.SiLU],
      [16, 16, 5, 16, null],
      [3, 5, 3, 1, nn.ReLU], // 3x3: the separate pass, unchanged
    ] as const) {
      const run = (fused: boolean) => {
        manualSeed(11);
        const block = new nn.Conv2dNormActivation(cin, cout, k, {
          groups,
          activationLayer: act,
        });
        const x = randomInput([2, 9, 7, cin], 12, { scale: 3 });
        const [conv, bn] = block.children() as [nn.Conv2d, nn.BatchNorm2d];
        bn.activation = 'none';
        const activate = (y: Tensor) =>
          act === nn.ReLU6 ? F.relu6(y) : act === nn.SiLU ? F.silu(y) : act ? F.relu(y) : y;
        const y = fused ? block.forward(x) : activate(bn.forward(conv.forward(x)));
        F.sum(F.mul(y, randomInput([...y.shape], 13, { requiresGrad: false }))).backward();
        return [y, x.grad!, conv.weight.grad!, bn.weight!.grad!, bn.running_var!].map((t) =>
          Array.from(t.data),
        );
      };
      const [a, b] = [run(true), run(false)];
      a.forEach((v, i) =>
        expect(maxRelativeError(v, b[i]).error).toBeLessThan(i === 0 ? 1e-5 : 1e-4),
      );
    }
  });
  test('fused BN+ReLU6 backward equals BN then ReLU6 (training mode)', () => {
    // A finite difference straddles ReLU6's kinks too easily here; compare the two analytic
    // paths instead (the unfused one is gradient-checked piecewise elsewhere).
    const grads = (fused: boolean) => {
      manualSeed(6);
      const block = new nn.Conv2dNormActivation(2, 3, 3, { activationLayer: nn.ReLU6 });
      const x = randomInput([2, 4, 4, 2], 7, { scale: 4 });
      const [conv, bn] = block.children() as [nn.Conv2d, nn.BatchNorm2d];
      const y = fused ? block.forward(x) : F.relu6(bn.forward(conv.forward(x)));
      F.sum(F.mul(y, randomInput([2, 4, 4, 3], 8, { requiresGrad: false }))).backward();
      return [x.grad!, conv.weight.grad!, bn.weight!.grad!].map((t) => Array.from(t.data));
    };
    const [a, b] = [grads(true), grads(false)];
    a.forEach((g, i) => expect(maxRelativeError(g, b[i]).error).toBeLessThan(1e-5));
  });
});
