// The autograd issue's finish line: a small CNN (conv-BN-ReLU x2, pool, linear) learns a fixed
// synthetic batch (loss falls 10x) on every ISA path, with native memory flat over the steps.
import { F, manualSeed, memory, nn, optim, randn, Tensor, tidy } from '../../lib';
import { describeEachIsa } from '../helpers';

function smallCnn(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.Conv2d(8, 16, 3, { padding: 1, stride: 2 }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(16, 4),
  );
}

function trainingStep(model: nn.Module, opt: optim.Optimizer, x: Tensor, labels: number[]): number {
  return tidy(() => {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), labels);
    loss.backward();
    opt.step();
    return loss.item();
  });
}

describeEachIsa('small CNN training', () => {
  test('loss falls by 10x on a fixed batch within a few hundred steps', () => {
    manualSeed(1);
    const model = smallCnn();
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const x = randn([16, 8, 8, 3]);
    const labels = Array.from({ length: 16 }, (_, i) => (i * 7) % 4);
    const first = trainingStep(model, opt, x, labels);
    let last = first;
    for (let step = 1; step < 300 && last > first / 10; step++)
      last = trainingStep(model, opt, x, labels);
    expect(last).toBeLessThan(first / 10);
  });
});

test('native memory stays flat over 200 training steps', () => {
  manualSeed(2);
  const model = smallCnn();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = randn([8, 8, 8, 3]);
  const labels = [0, 1, 2, 3, 0, 1, 2, 3];
  let atStep10 = 0;
  for (let step = 1; step <= 200; step++) {
    trainingStep(model, opt, x, labels);
    if (step === 10) atStep10 = memory.stats().liveBytes;
  }
  const atStep200 = memory.stats().liveBytes;
  // Same live set after every step: parameters, gradients, optimizer state, the batch.
  expect(Math.abs(atStep200 - atStep10)).toBeLessThanOrEqual(1024);
  expect(atStep10).toBeGreaterThan(0);
});
