// F.conv2d with autograd: x [N,H,W,Cin], weight [Cout,Cin/groups,KH,KW] (PyTorch's layout).
import * as kernels from '../kernels/conv';
import type { Tensor } from '../tensor';
import { record } from './record';

export type Conv2dOptions = kernels.Conv2dOptions;

export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
): Tensor {
  const y = kernels.conv2d(x, weight, bias, options);
  return record(y, 'conv2d', [x, weight, bias], (g) => {
    const dx = x.requiresGrad ? kernels.conv2dBackwardData(g, weight, x.shape, options) : null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (weight.requiresGrad || bias?.requiresGrad) {
      const grads = kernels.conv2dBackwardWeights(x, g, weight.shape, options, bias !== null);
      dw = grads.weight;
      db = grads.bias;
    }
    return [dx, dw, db];
  });
}
