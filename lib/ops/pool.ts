// Pooling with autograd on NHWC input, PyTorch's semantics (output sizes, ceilMode, padding).
import { addInto } from '../kernels/elementwise';
import * as kernels from '../kernels/pool';
import type { Tensor } from '../tensor';
import { needsGrad, record } from './record';

export type MaxPool2dOptions = kernels.MaxPool2dOptions;
export type AvgPool2dOptions = kernels.AvgPool2dOptions;

export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  const { output, indices, indexStorage } = kernels.maxPool2d(x, options);
  if (!needsGrad(x)) {
    indexStorage.dispose();
    return output;
  }
  const inputShape = x.shape;
  return record(output, 'maxPool2d', [x], (g) => [
    kernels.maxPool2dBackward(g, indices, inputShape, options),
  ]);
}

export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const y = kernels.avgPool2d(x, options);
  const inputShape = x.shape;
  return record(y, 'avgPool2d', [x], (g) => [kernels.avgPool2dBackward(g, inputShape, options)]);
}

/** Any output size; [1, 1] (or 1) is global average pooling. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: kernels.Pair): Tensor {
  const global =
    outputSize === 1 || (Array.isArray(outputSize) && outputSize[0] === 1 && outputSize[1] === 1);
  const y = global ? kernels.globalAvgPool2d(x) : kernels.adaptiveAvgPool2d(x, outputSize);
  const inputShape = x.shape;
  return record(y, 'adaptiveAvgPool2d', [x], (g, into) => [
    // Global: g / (H * W) added straight into x's gradient so far when the engine offers it
    // (squeeze-excitation: x's gradient through the scale multiply), with no expanded copy.
    global && into[0]
      ? addInto(into[0], g, 1 / (inputShape[1] * inputShape[2]))
      : kernels.adaptiveAvgPool2dBackward(g, inputShape),
  ]);
}

/** Max over H and W: [N, H, W, C] -> [N, 1, 1, C]. */
export function globalMaxPool2d(x: Tensor): Tensor {
  const { output, indices, indexStorage } = kernels.globalMaxPool2d(x);
  if (!needsGrad(x)) {
    indexStorage.dispose();
    return output;
  }
  const inputShape = x.shape;
  return record(output, 'globalMaxPool2d', [x], (g) => [
    kernels.globalMaxPool2dBackward(g, indices, inputShape),
  ]);
}
