// The engine frees the gradients flowing through the graph as soon as nothing pending needs
// them: peak memory of backward, and correctness when one gradient is shared or viewed.
import { F, memory, randn, tidy } from '../../lib';

describe('backward frees its gradients as it goes', () => {
  test('peak memory of a deep chain stays near one activation gradient, and results are unchanged', () => {
    const x = randn([64, 1024]);
    x.requiresGrad = true;
    const run = () =>
      tidy(() => {
        let h = x;
        for (let i = 0; i < 20; i++) h = F.mul(F.relu(h), 1.01);
        memory.resetPeak();
        const before = memory.stats().liveBytes;
        F.sum(h).backward();
        return memory.stats().peakBytes - before;
      });
    const backwardPeak = run();
    const g1 = Array.from(x.grad!.data.slice(0, 8));
    x.clearGrad();
    run();
    expect(Array.from(x.grad!.data.slice(0, 8))).toEqual(g1);
    // 40 ops: keeping every gradient would hold ~40 x 256 KiB; freeing keeps a few alive.
    expect(backwardPeak).toBeLessThan(8 * 64 * 1024 * 4);
  });
  test('a gradient passed through to two inputs and a view is not freed while pending', () => {
    const a = randn([3, 4]);
    a.requiresGrad = true;
    const h = F.relu(a);
    const y = F.add(h.reshape([12]), F.add(h, h).reshape([12]));
    F.sum(F.mul(y, y)).backward();
    // d/da sum((3 relu(a))^2) = 18 relu(a) * (a > 0)
    const ad = a.data;
    a.grad!.data.forEach((g: number, i: number) =>
      expect(g).toBeCloseTo(ad[i] > 0 ? 18 * ad[i] : 0, 4),
    );
  });
});
