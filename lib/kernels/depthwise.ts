// Depthwise 2-D convolution (groups = channels, channel multiplier m) on NHWC tensors:
// x [N, H, W, C], weight [C*m, 1, KH, KW] (PyTorch layout), y [N, OH, OW, C*m], where output
// channel c*m + j reads input channel c. Forward (with fused bias and relu/relu6), backward data
// and backward weights (+ bias gradient) on the native direct kernels.
import { invalidRange, invalidType } from '../check';
import { native } from '../native';
import { batchStatsArray } from './batchnorm';
import { Shape, Tensor, empty, requireTensor, sameShape } from '../tensor';

/** The addon's depthwise surface (geometry = the 15 integers of DepthwiseGeometry). */
type Geometry = [
  N: number,
  H: number,
  W: number,
  C: number,
  multiplier: number,
  KH: number,
  KW: number,
  strideH: number,
  strideW: number,
  padTop: number,
  padBottom: number,
  padLeft: number,
  padRight: number,
  dilationH: number,
  dilationW: number,
];
type ForwardFn = (
  ...args: [
    ...Geometry,
    Float32Array,
    Float32Array,
    Float32Array | null,
    number,
    Float32Array,
    (Float64Array | null)?,
    (Float32Array | null)?,
    number?,
  ]
) => void;
type BackwardDataFn = (
  ...args: [
    ...Geometry,
    Float32Array,
    Float32Array,
    Float32Array,
    (Float32Array | null)?,
    Float32Array?,
    Float32Array?,
    number?,
    Float64Array?,
  ]
) => void;
type BackwardWeightsFn = (
  ...args: [
    ...Geometry,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array | null,
    (Float32Array | null)?,
    number?,
  ]
) => void;

export interface DepthwiseNative {
  depthwiseConv2d: ForwardFn;
  depthwiseConv2dReference: ForwardFn;
  depthwiseConv2dBackwardData: BackwardDataFn;
  depthwiseConv2dBackwardDataReference: BackwardDataFn;
  depthwiseConv2dBackwardWeights: BackwardWeightsFn;
  depthwiseConv2dBackwardWeightsReference: BackwardWeightsFn;
  depthwiseKernelName(): string;
}

export const depthwiseNative = native as unknown as DepthwiseNative;

export type DepthwiseActivation = 'none' | 'relu' | 'relu6';

export interface DepthwiseConv2dOptions {
  /** One value for both axes or [strideH, strideW]. Default 1. */
  stride?: number | readonly [number, number];
  /** One value, [padH, padW] (PyTorch's symmetric padding) or [top, bottom, left, right]. Default 0. */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
  /** One value or [dilationH, dilationW]. Default 1. */
  dilation?: number | readonly [number, number];
  /** Fused into the forward epilogue (after the bias). Default 'none'. */
  activation?: DepthwiseActivation;
  /**
   * Forward only: receives the output's batch statistics, [count, mean[C*m], m2[C*m]], summed
   * a few rows at a time while they are in cache, for a batch norm that follows.
   */
  batchStats?: Float64Array;
  /**
   * Forward and backward-weights: the convolution reads x through a batch norm and its
   * activation, act(((x - mean) - meanLo) * scale + shift) with `affine` the norm's saveAffine
   * ([meanHi | meanLo | scale | shift], 4 C floats); the normalised x is made a few rows at a
   * time in cache and never stored.
   */
  inputNorm?: DepthwiseInputNorm;
}

export interface DepthwiseInputNorm {
  affine: Tensor;
  activation: 'none' | 'relu' | 'relu6' | 'silu';
}

/**
 * For depthwiseConv2dBackwardData: the input x is act(bn(h)); the norm's first backward pass
 * runs on each run of dx while it is in cache: `sums` (Float64Array(2 C), added to) receives
 * sum g and sum g (h - mean) with g = dx masked by the activation, and dx holds g on return
 * (batchNorm2dBackward's `sums` runs the rest).
 */
export interface DepthwiseNormGradient extends DepthwiseInputNorm {
  h: Tensor;
  mean: Tensor;
  sums: Float64Array;
}

const activationCodes: Record<DepthwiseActivation, number> = { none: 0, relu: 1, relu6: 2 };
const inputActivationCodes: Record<DepthwiseInputNorm['activation'], number> = {
  none: 0,
  relu: 1,
  relu6: 2,
  silu: 3,
};

/** The native (inputAffine, inputActivation) pair of options.inputNorm, checked; nulls without. */
function inputNormArgs(
  op: string,
  options: DepthwiseConv2dOptions,
  channels: number,
): [Float32Array | null, number] {
  const norm = options.inputNorm;
  if (norm === undefined) return [null, 0];
  if (typeof norm !== 'object' || norm === null)
    throw invalidType(op, 'inputNorm', 'an object { affine, activation }', norm);
  requireTensor(op, 'inputNorm.affine', norm.affine);
  if (norm.affine.size !== 4 * channels)
    throw invalidRange(
      op,
      'inputNorm.affine',
      `${4 * channels} floats (4 x ${channels} channels)`,
      shapeText(norm.affine.shape),
    );
  if (!Object.prototype.hasOwnProperty.call(inputActivationCodes, norm.activation))
    throw invalidRange(
      op,
      'inputNorm.activation',
      "'none', 'relu', 'relu6' or 'silu'",
      norm.activation,
    );
  return [norm.affine.data, inputActivationCodes[norm.activation]];
}

function intPair(
  op: string,
  name: string,
  value: unknown,
  fallback: number,
  min: number,
): [number, number] {
  if (value === undefined) return [fallback, fallback];
  const list = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(list) || list.length !== 2)
    throw invalidType(op, name, 'an integer or a pair of integers', value);
  for (const v of list) {
    if (typeof v !== 'number')
      throw invalidType(op, name, 'an integer or a pair of integers', value);
    if (!Number.isInteger(v) || v < min) throw invalidRange(op, name, `integers >= ${min}`, value);
  }
  return [list[0], list[1]];
}

function paddingOf(op: string, value: unknown): [number, number, number, number] {
  if (Array.isArray(value) && value.length === 4) {
    for (const v of value as unknown[]) {
      if (typeof v !== 'number') throw invalidType(op, 'padding', 'integers', value);
      if (!Number.isInteger(v) || v < 0) throw invalidRange(op, 'padding', 'integers >= 0', value);
    }
    return value as [number, number, number, number];
  }
  const [h, w] = intPair(op, 'padding', value, 0, 0);
  return [h, h, w, w];
}

function shapeText(shape: Shape): string {
  return `shape [${shape.join(', ')}]`;
}

interface Resolved {
  geometry: Geometry;
  outShape: [number, number, number, number];
  weightShape: [number, number, number, number];
  outChannels: number;
}

/**
 * Checks the shapes and options of a depthwise convolution with input shape [N, H, W, C] and
 * weight shape [Cout, 1, KH, KW]; returns the native geometry and the output shape.
 */
function resolve(
  op: string,
  xShape: Shape,
  weightShape: Shape,
  options: DepthwiseConv2dOptions,
): Resolved {
  if (typeof options !== 'object' || options === null)
    throw invalidType(op, 'options', 'an options object', options);
  if (xShape.length !== 4)
    throw invalidRange(op, 'x', 'a 4-D NHWC tensor [N, H, W, C]', shapeText(xShape));
  if (weightShape.length !== 4 || weightShape[1] !== 1)
    throw invalidRange(
      op,
      'weight',
      'a weight of shape [C*multiplier, 1, KH, KW]',
      shapeText(weightShape),
    );
  const [N, H, W, C] = xShape;
  const [Cout, , KH, KW] = weightShape;
  if (C < 1) throw invalidRange(op, 'x', 'at least one channel', shapeText(xShape));
  if (KH < 1 || KW < 1)
    throw invalidRange(op, 'weight', 'a kernel of at least 1 x 1', shapeText(weightShape));
  const multiplier = Cout / C;
  if (!Number.isInteger(multiplier) || multiplier < 1)
    throw invalidRange(
      op,
      'weight',
      `output channels that are a whole multiple of the ${C} input channels (integer multiplier)`,
      `${shapeText(weightShape)} (multiplier ${Cout}/${C})`,
    );
  const [strideH, strideW] = intPair(op, 'stride', options.stride, 1, 1);
  const [dilationH, dilationW] = intPair(op, 'dilation', options.dilation, 1, 1);
  const [padTop, padBottom, padLeft, padRight] = paddingOf(op, options.padding);
  const extentH = dilationH * (KH - 1) + 1,
    extentW = dilationW * (KW - 1) + 1;
  const paddedH = H + padTop + padBottom,
    paddedW = W + padLeft + padRight;
  if (extentH > paddedH || extentW > paddedW)
    throw invalidRange(
      op,
      'weight',
      `a dilated kernel no larger than the padded input ${paddedH} x ${paddedW}`,
      `${shapeText(weightShape)} (dilated ${extentH} x ${extentW})`,
    );
  const OH = Math.floor((paddedH - extentH) / strideH) + 1;
  const OW = Math.floor((paddedW - extentW) / strideW) + 1;
  return {
    geometry: [
      N,
      H,
      W,
      C,
      multiplier,
      KH,
      KW,
      strideH,
      strideW,
      padTop,
      padBottom,
      padLeft,
      padRight,
      dilationH,
      dilationW,
    ],
    outShape: [N, OH, OW, Cout],
    weightShape: [Cout, 1, KH, KW],
    outChannels: Cout,
  };
}

/** y = activation(depthwiseConv(x, weight) + bias), x [N, H, W, C] -> y [N, OH, OW, C*m]. */
export function depthwiseConv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: DepthwiseConv2dOptions = {},
): Tensor {
  const op = 'depthwiseConv2d';
  requireTensor(op, 'x', x);
  requireTensor(op, 'weight', weight);
  const r = resolve(op, x.shape, weight.shape, options);
  if (bias !== null) {
    requireTensor(op, 'bias', bias);
    if (!sameShape(bias.shape, [r.outChannels]))
      throw invalidRange(op, 'bias', `shape [${r.outChannels}]`, shapeText(bias.shape));
  }
  const activation = options.activation ?? 'none';
  if (!Object.prototype.hasOwnProperty.call(activationCodes, activation))
    throw invalidRange(op, 'activation', "'none', 'relu' or 'relu6'", activation);
  const stats = options.batchStats;
  if (stats !== undefined) batchStatsArray(op, stats, r.outChannels);
  const norm = inputNormArgs(op, options, x.shape[3]);
  const y = empty(r.outShape);
  depthwiseNative.depthwiseConv2d(
    ...r.geometry,
    x.data,
    weight.data,
    bias ? bias.data : null,
    activationCodes[activation],
    y.data,
    stats ?? null,
    ...norm,
  );
  return y;
}

/** Gradient with respect to x ([N, H, W, C] = inputShape) of depthwiseConv2d, given dy. */
export function depthwiseConv2dBackwardData(
  dy: Tensor,
  weight: Tensor,
  inputShape: Shape,
  options: DepthwiseConv2dOptions = {},
  normGradient?: DepthwiseNormGradient,
): Tensor {
  const op = 'depthwiseConv2dBackwardData';
  requireTensor(op, 'dy', dy);
  requireTensor(op, 'weight', weight);
  if (!Array.isArray(inputShape))
    throw invalidType(op, 'inputShape', 'an array of integers', inputShape);
  const r = resolve(op, inputShape, weight.shape, options);
  if (!sameShape(dy.shape, r.outShape))
    throw invalidRange(op, 'dy', `shape [${r.outShape.join(', ')}]`, shapeText(dy.shape));
  const dx = empty(inputShape);
  if (normGradient === undefined) {
    depthwiseNative.depthwiseConv2dBackwardData(...r.geometry, dy.data, weight.data, dx.data);
    return dx;
  }
  const C = inputShape[3];
  const [affine, activation] = inputNormArgs(op, { inputNorm: normGradient }, C);
  requireTensor(op, 'normGradient.h', normGradient.h);
  if (!sameShape(normGradient.h.shape, inputShape))
    throw invalidRange(
      op,
      'normGradient.h',
      `shape [${inputShape.join(', ')}]`,
      shapeText(normGradient.h.shape),
    );
  requireTensor(op, 'normGradient.mean', normGradient.mean);
  if (normGradient.mean.size !== C)
    throw invalidRange(op, 'normGradient.mean', `${C} floats`, shapeText(normGradient.mean.shape));
  const sums = normGradient.sums;
  if (!(sums instanceof Float64Array) || sums.length !== 2 * C)
    throw invalidRange(op, 'normGradient.sums', `a Float64Array of ${2 * C}`, sums);
  depthwiseNative.depthwiseConv2dBackwardData(
    ...r.geometry,
    dy.data,
    weight.data,
    dx.data,
    normGradient.h.data,
    normGradient.mean.data,
    affine!,
    activation,
    sums,
  );
  return dx;
}

/**
 * Gradients with respect to the weight ([Cout, 1, KH, KW] = weightShape) and, when `withBias`,
 * the bias ([Cout]) of depthwiseConv2d, given its input x and dy.
 */
export function depthwiseConv2dBackwardWeights(
  x: Tensor,
  dy: Tensor,
  weightShape: Shape,
  options: DepthwiseConv2dOptions = {},
  withBias = false,
): { dWeight: Tensor; dBias: Tensor | null } {
  const op = 'depthwiseConv2dBackwardWeights';
  requireTensor(op, 'x', x);
  requireTensor(op, 'dy', dy);
  if (!Array.isArray(weightShape))
    throw invalidType(op, 'weightShape', 'an array of integers', weightShape);
  if (typeof withBias !== 'boolean') throw invalidType(op, 'withBias', 'a boolean', withBias);
  const r = resolve(op, x.shape, weightShape, options);
  if (!sameShape(dy.shape, r.outShape))
    throw invalidRange(op, 'dy', `shape [${r.outShape.join(', ')}]`, shapeText(dy.shape));
  const norm = inputNormArgs(op, options, x.shape[3]);
  const dWeight = empty(r.weightShape);
  const dBias = withBias ? empty([r.outChannels]) : null;
  depthwiseNative.depthwiseConv2dBackwardWeights(
    ...r.geometry,
    x.data,
    dy.data,
    dWeight.data,
    dBias ? dBias.data : null,
    ...norm,
  );
  return { dWeight, dBias };
}
