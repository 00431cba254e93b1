// FLOPs and MACs of one module call, from the module's configuration and the call's shapes
// (not from timing). Conventions, stated because tools differ:
//   MAC = one multiply-add; FLOPs = 2 x MACs for conv and linear (thop / fvcore call MACs "FLOPs").
//   Batch norm: 2 FLOPs per element (scale and shift; statistics not counted).
//   Activations and Dropout-like scaling: 1 FLOP per element.
//   Pooling: one FLOP per window element read (max compares, average adds).
//   Training FLOPs = 3 x forward FLOPs (forward, backward-data, backward-weights).
//   Arithmetic written inline in a block's forward (the residual add, the SE multiply) is not
//   a module and is not counted; convolutions and linears dominate every network of the zoo.
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { BatchNorm2d } from '../nn/layers/norm';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from '../nn/layers/pooling';
import {
  GELU,
  Hardsigmoid,
  Hardswish,
  LeakyReLU,
  ReLU,
  ReLU6,
  Sigmoid,
  SiLU,
  Tanh,
} from '../nn/layers/activation';
import { Dropout, StochasticDepth } from '../nn/layers/dropout';

export interface CallCounts {
  /** Multiply-adds of conv and linear layers. */
  macs: number;
  /** All forward FLOPs (2 x MACs plus the element-wise work). */
  flops: number;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function kernelArea(kernelSize: number | readonly [number, number]): number {
  return typeof kernelSize === 'number' ? kernelSize * kernelSize : kernelSize[0] * kernelSize[1];
}

/** Counts for a leaf module's call; containers return zeros (their children are counted). */
export function countCall(module: Module, input: Tensor | undefined, output: Tensor): CallCounts {
  const out = size(output.shape);
  if (module instanceof Conv2d) {
    const [, , kh, kw] = module.weight.shape;
    const macs = out * module.weight.shape[1] * kh * kw;
    return { macs, flops: 2 * macs + (module.bias ? out : 0) };
  }
  if (module instanceof Linear) {
    const macs = out * module.inFeatures;
    return { macs, flops: 2 * macs + (module.bias ? out : 0) };
  }
  if (module instanceof BatchNorm2d)
    return { macs: 0, flops: 2 * out + (module.activation !== 'none' ? out : 0) };
  if (
    module instanceof ReLU ||
    module instanceof ReLU6 ||
    module instanceof LeakyReLU ||
    module instanceof Sigmoid ||
    module instanceof Tanh ||
    module instanceof SiLU ||
    module instanceof Hardswish ||
    module instanceof Hardsigmoid ||
    module instanceof GELU ||
    module instanceof Dropout ||
    module instanceof StochasticDepth
  )
    return {
      macs: 0,
      flops:
        module.training || !(module instanceof Dropout || module instanceof StochasticDepth)
          ? out
          : 0,
    };
  if (module instanceof MaxPool2d || module instanceof AvgPool2d)
    return { macs: 0, flops: out * kernelArea(module.options.kernelSize) };
  if (module instanceof AdaptiveAvgPool2d) return { macs: 0, flops: input ? size(input.shape) : 0 };
  return { macs: 0, flops: 0 };
}
