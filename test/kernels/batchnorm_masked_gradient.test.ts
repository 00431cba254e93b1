// The batch-norm backward's maskedGradient (a residual fused before the activation gets g, dy
// masked by the activation of y, written in the backward's first pass) on every ISA path:
// g equals the separate mask, dx and the parameter gradients equal the plain backward on g;
// odd channel counts (vector tails), batch 1, both threads; and its argument check.
import { tensor } from '../../lib';
import { activationBackward } from '../../lib/kernels/activation';
import { batchNorm2dBackward, batchNorm2dForwardTraining } from '../../lib/kernels/batchnorm';
import { Generator } from '../../lib/random';
import { describeEachIsa, expectThrows, maxRelativeError, randomArray } from '../helpers';

describeEachIsa('batch-norm backward: masked gradient for a fused residual', () => {
  for (const [N, H, W, C] of [
    [1, 3, 5, 7],
    [2, 9, 7, 17],
    [4, 14, 14, 64],
  ])
    for (const activation of ['relu', 'relu6'] as const)
      test(`${activation} [${N}, ${H}, ${W}, ${C}]`, () => {
        const g = new Generator(N * 100 + C);
        const shape = [N, H, W, C];
        const size = N * H * W * C;
        const x = tensor(randomArray(size, g, 3), shape);
        const residual = tensor(randomArray(size, g, 3), shape);
        const weight = tensor(randomArray(C, g, 2));
        const fwd = batchNorm2dForwardTraining(x, { weight, activation, residual });
        const dy = tensor(randomArray(size, g), shape);
        const common = { weight, mean: fwd.saveMean, invstd: fwd.saveInvstd };
        const got = batchNorm2dBackward(x, dy, {
          ...common,
          activation,
          y: fwd.y,
          maskedGradient: true,
        });
        const masked = activationBackward(activation, fwd.y, dy);
        expect(maxRelativeError(got.g!.data, masked.data).error).toBe(0);
        const want = batchNorm2dBackward(x, masked, common);
        for (const k of ['dx', 'dweight', 'dbias'] as const)
          expect(maxRelativeError(got[k]!.data, want[k]!.data).error).toBeLessThan(1e-6);
      });
});

test('maskedGradient needs a fused activation', () => {
  const x = tensor(new Float32Array(8).fill(1), [1, 2, 2, 2]);
  const stats = { mean: tensor([0, 0]), invstd: tensor([1, 1]) };
  expectThrows(
    () => batchNorm2dBackward(x, x, { ...stats, maskedGradient: true }),
    'RangeError',
    /maskedGradient/,
  );
});
