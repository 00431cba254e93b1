// F.linear: y = x W^T + b, x [N, in], W [out, in] (PyTorch's layout).
import * as kernels from '../kernels/linear';
import type { Tensor } from '../tensor';
import { record } from './record';

export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const y = kernels.linear(x, weight, bias);
  return record(y, 'linear', [x, weight, bias], (g) => {
    const { dx, dW, db } = kernels.linearBackward(x, weight, g, {
      input: x.requiresGrad,
      weight: weight.requiresGrad,
      bias: bias?.requiresGrad === true,
    });
    return [dx, dW, db];
  });
}
