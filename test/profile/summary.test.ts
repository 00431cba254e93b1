// profile.summary counts from configurations: MACs/FLOPs by hand for a small net, parameter
// splits, depth-limited views, and the text table; profile.time reports every module.
import { nn, profile } from '../../lib';

function net() {
  return new nn.Sequential(
    new nn.Conv2dNormActivation(3, 8, 3, { stride: 2 }), // 16x16 -> 8x8
    new nn.MaxPool2d(2), // -> 4x4
    new nn.Flatten(),
    new nn.Linear(8 * 4 * 4, 10),
  );
}

test('MACs, FLOPs, parameters and activation memory as computed by hand', () => {
  const s = profile.summary(net(), [2, 16, 16, 3]);
  const convMacs = 2 * 8 * 8 * 8 * (3 * 3 * 3);
  const linearMacs = 2 * 10 * 128;
  expect(s.totals.macs).toBe(convMacs + linearMacs);
  const bnFlops = 2 * (2 * 8 * 8 * 8) + 2 * 8 * 8 * 8; // scale+shift, plus the fused ReLU
  const poolFlops = 2 * 4 * 4 * 8 * 4;
  expect(s.totals.flops).toBe(2 * convMacs + bnFlops + poolFlops + 2 * linearMacs + 2 * 10);
  expect(s.totals.trainingFlops).toBe(3 * s.totals.flops);
  expect(s.totals.params).toBe(8 * 27 + 8 + 8 + 1280 + 10);
  expect(s.rows.find((r) => r.name === '0.0')!.outputShape).toEqual([2, 8, 8, 8]);
  expect(s.rows.find((r) => r.name === '3')!.activationBytes).toBe(4 * 2 * 10);
});

test('frozen parameters, depth limit and the text table', () => {
  const model = net();
  (model.at(0) as nn.Module).requiresGrad(false);
  const s = profile.summary(model, [1, 16, 16, 3], { depth: 1 });
  expect(s.totals.frozenParams).toBe(8 * 27 + 16);
  expect(s.rows.every((r) => r.depth <= 1)).toBe(true);
  expect(s.rows.find((r) => r.name === '0')!.macs).toBe(8 * 8 * 8 * 27); // folded children
  const text = profile.formatSummary(s);
  expect(text).toMatch(/Conv2dNormActivation/);
  expect(text).toMatch(/Conv\+linear MACs: .* \(15,104\)/);
});

test('time reports forward and backward per module', () => {
  const t = profile.time(net(), [2, 16, 16, 3], { train: true, runs: 2 });
  expect(t.peakGflops).toBeGreaterThan(0);
  const conv = t.rows.find((r) => r.name === '0')!;
  expect(conv.forwardSeconds).toBeGreaterThan(0);
  expect(conv.backwardSeconds).toBeGreaterThan(0);
});
