// sum / mean over axes (all by default), keepdim as PyTorch, with autograd.
import * as kernels from '../kernels/reduce';
import type { Tensor } from '../tensor';
import { record } from './record';

type Axes = number | readonly number[] | undefined;

function reduction(mean: boolean, x: Tensor, axes: Axes, keepdim: boolean): Tensor {
  const y = mean ? kernels.mean(x, axes, keepdim) : kernels.sum(x, axes, keepdim);
  const inputShape = x.shape;
  return record(y, mean ? 'mean' : 'sum', [x], (g) => [
    kernels.reduceBackward(g, inputShape, axes, mean),
  ]);
}

export const sum = (x: Tensor, axes?: Axes, keepdim = false): Tensor =>
  reduction(false, x, axes, keepdim);
export const mean = (x: Tensor, axes?: Axes, keepdim = false): Tensor =>
  reduction(true, x, axes, keepdim);
