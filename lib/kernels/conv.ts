// conv2d on the native kernels: forward (with a fused bias / residual / activation epilogue),
// backward-data and backward-weights (+ bias). Input NHWC [N, H, W, Cin], weight in PyTorch's
// layout [Cout, Cin/groups, KH, KW], output NHWC [N, OH, OW, Cout]. Semantics are PyTorch's.
import { describe as describeValue, invalidRange, invalidType } from '../check';
import { native } from '../native';
import { batchStatsArray } from './batchnorm';
import { Shape, Tensor, empty, requireTensor } from '../tensor';

/** [N, H, W, Cin, Cout, KH, KW, sH, sW, padTop, padBottom, padLeft, padRight, dH, dW, groups] */
export type Conv2dParamsArray = number[];

export interface ConvNative {
  conv2dForward(
    params: Conv2dParamsArray,
    x: Float32Array,
    weight: Float32Array,
    bias: Float32Array | null,
    residual: Float32Array | null,
    activation: number,
    y: Float32Array,
    algorithm?: number,
    stats?: Float64Array | null,
    inputAffine?: Float32Array | null,
    inputActivation?: number,
    ldx?: number,
  ): void;
  conv2dForwardReference: ConvNative['conv2dForward'];
  conv2dBackwardData(
    params: Conv2dParamsArray,
    dy: Float32Array,
    weight: Float32Array,
    dx: Float32Array,
    algorithm?: number,
    accumulate?: boolean,
    h?: Float32Array | null,
    ldh?: number,
    mean?: Float32Array,
    affine?: Float32Array,
    activation?: number,
    sums?: Float64Array,
  ): void;
  conv2dBackwardDataReference: ConvNative['conv2dBackwardData'];
  conv2dBackwardWeights(
    params: Conv2dParamsArray,
    x: Float32Array,
    dy: Float32Array,
    dw: Float32Array,
    dbias: Float32Array | null,
    algorithm?: number,
    inputAffine?: Float32Array | null,
    inputActivation?: number,
    ldx?: number,
  ): void;
  conv2dBackwardWeightsReference: ConvNative['conv2dBackwardWeights'];
  conv2dBackwardNormApplied(
    params: Conv2dParamsArray,
    x: Float32Array,
    weight: Float32Array,
    h: Float32Array,
    g: Float32Array,
    mean: Float32Array,
    invstd: Float32Array,
    gamma: Float32Array | null,
    training: boolean,
    sums: Float64Array,
    dx: Float32Array | null,
    accumulate: boolean,
    dw: Float32Array | null,
    dgamma: Float32Array | null,
    dbeta: Float32Array | null,
  ): void;
  conv2dAlgorithm(params: Conv2dParamsArray, algorithm?: number): string;
}

const addon = native as unknown as ConvNative;

export type Conv2dPadding =
  number | [number, number] | [number, number, number, number] | 'same' | 'valid';

export interface Conv2dOptions {
  /** One number or [sH, sW]; default 1. */
  stride?: number | [number, number];
  /** A number, [pH, pW], [top, bottom, left, right], 'same' (stride 1 only) or 'valid'; default 0. */
  padding?: Conv2dPadding;
  /** One number or [dH, dW]; default 1. */
  dilation?: number | [number, number];
  /** Default 1; Cin and Cout must be divisible by it. */
  groups?: number;
}

export type Conv2dActivation = 'none' | 'relu' | 'relu6';

export interface Conv2dFusion {
  /** Added after the bias, before the activation; shape of the output. */
  residual?: Tensor;
  activation?: Conv2dActivation;
  /**
   * Receives the output's per-channel batch statistics, [count, mean[Cout], m2[Cout]]
   * (length 1 + 2 Cout), for a batch norm that follows (F.batchNorm's `batchStats`): a 1x1
   * convolution sums them while each chunk of its output is in cache, so the batch norm does
   * not read the output one more time.
   */
  batchStats?: Float64Array;
  /**
   * x is first normalised by this batch norm, conv(act(bn(x))), without storing the norm's
   * output (a 1x1 stride-1 convolution of one group; not with residual or activation): each
   * chunk of x's rows is normalised in cache right before the GEMM reads it. x may have more
   * channels than the conv's input: the norm and the conv read its first weight.shape[1].
   */
  inputNorm?: InputNorm;
}

/** A batch norm read inside a 1x1 conv: its saveAffine (4 C) and activation. */
export interface InputNorm {
  affine: Tensor;
  activation: 'none' | 'relu' | 'relu6' | 'silu';
}

/**
 * x's shape as the conv sees it and the norm's native arguments [affine, activation, ldx]
 * (nulls without a norm): with one, x may be wider than the weight's input channels.
 */
function inputNormArguments(
  op: string,
  x: Tensor,
  weightShape: Shape,
  inputNorm: InputNorm | undefined,
): { shape: Shape; args: [Float32Array | null, number, number] } {
  if (inputNorm === undefined) return { shape: x.shape, args: [null, 0, 0] };
  if (inputNorm === null || typeof inputNorm !== 'object')
    throw invalidType(op, 'inputNorm', 'an object { affine, activation }', inputNorm);
  const Cin = weightShape[1];
  if (weightShape[2] !== 1 || weightShape[3] !== 1)
    throw invalidRange(
      op,
      'weight',
      'a 1x1 kernel [Cout, Cin, 1, 1] with inputNorm',
      `[${weightShape}]`,
    );
  if (x.shape[3] < Cin)
    throw invalidRange(
      op,
      'x',
      `at least ${Cin} channels (the weight's) with inputNorm`,
      `[${x.shape}]`,
    );
  requireTensor(op, 'inputNorm.affine', inputNorm.affine);
  if (inputNorm.affine.size !== 4 * Cin)
    throw invalidRange(
      op,
      'inputNorm.affine',
      `${4 * Cin} values (4 x Cin)`,
      inputNorm.affine.size,
    );
  if (!Object.prototype.hasOwnProperty.call(normActivationCodes, inputNorm.activation))
    throw invalidRange(
      op,
      'inputNorm.activation',
      "'none', 'relu', 'relu6' or 'silu'",
      inputNorm.activation,
    );
  return {
    shape: [x.shape[0], x.shape[1], x.shape[2], Cin],
    args: [inputNorm.affine.data, normActivationCodes[inputNorm.activation], x.shape[3]],
  };
}

/**
 * 'gemm' (im2col), 'implicit' (implicit GEMM where it applies: stride 1, groups 1) or
 * 'groupedDirect' force a path (tests, benchmarks); default 'auto'.
 */
export type Conv2dAlgorithm = 'auto' | 'gemm' | 'groupedDirect' | 'implicit' | 'winograd';
const algorithmCodes: Record<Conv2dAlgorithm, number> = {
  auto: 0,
  gemm: 1,
  groupedDirect: 2,
  implicit: 3,
  winograd: 4,
};

function requireRank(op: string, name: string, t: Tensor, rank: number, layout: string): void {
  if (t.ndim !== rank)
    throw invalidRange(op, name, `a ${rank}-D tensor ${layout}`, `shape [${t.shape}]`);
}

function positiveInt(op: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number') throw invalidType(op, name, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > 2 ** 31)
    throw invalidRange(op, name, `an integer >= ${min}`, value);
  return value;
}

function pair(op: string, name: string, value: unknown, min: number): [number, number] {
  if (Array.isArray(value)) {
    if (value.length !== 2) throw invalidRange(op, name, 'a number or a pair of numbers', value);
    return [
      positiveInt(op, `${name}[0]`, value[0], min),
      positiveInt(op, `${name}[1]`, value[1], min),
    ];
  }
  const v = positiveInt(op, name, value, min);
  return [v, v];
}

/** Resolved hyper-parameters for an input of size H x W and a kernel KH x KW. */
export function resolveConv2dOptions(
  op: string,
  options: Conv2dOptions,
  KH: number,
  KW: number,
): {
  stride: [number, number];
  pad: [number, number, number, number];
  dilation: [number, number];
  groups: number;
} {
  if (options === null || typeof options !== 'object')
    throw invalidType(op, 'options', 'an object', options);
  const stride = pair(op, 'stride', options.stride ?? 1, 1);
  const dilation = pair(op, 'dilation', options.dilation ?? 1, 1);
  const groups = positiveInt(op, 'groups', options.groups ?? 1, 1);
  const padding: unknown = options.padding ?? 0;
  let pad: [number, number, number, number];
  if (padding === 'valid') {
    pad = [0, 0, 0, 0];
  } else if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1)
      throw invalidRange(
        op,
        'padding',
        "stride 1 with padding 'same' (as PyTorch)",
        `stride [${stride}]`,
      );
    // PyTorch puts the odd extra element at the bottom / right.
    const th = dilation[0] * (KH - 1),
      tw = dilation[1] * (KW - 1);
    pad = [
      Math.floor(th / 2),
      th - Math.floor(th / 2),
      Math.floor(tw / 2),
      tw - Math.floor(tw / 2),
    ];
  } else if (typeof padding === 'string') {
    throw invalidRange(op, 'padding', "a number, a pair, 4 numbers, 'same' or 'valid'", padding);
  } else if (Array.isArray(padding) && padding.length === 4) {
    pad = padding.map((v, i) => positiveInt(op, `padding[${i}]`, v, 0)) as [
      number,
      number,
      number,
      number,
    ];
  } else {
    const [ph, pw] = pair(op, 'padding', padding, 0);
    pad = [ph, ph, pw, pw];
  }
  return { stride, pad, dilation, groups };
}

/** Checks shapes and returns the native params array and the output shape. */
function conv2dGeometry(
  op: string,
  inputShape: Shape,
  weightShape: Shape,
  options: Conv2dOptions,
): { params: Conv2dParamsArray; outShape: number[] } {
  const [N, H, W, Cin] = inputShape;
  const [Cout, CinG, KH, KW] = weightShape;
  const { stride, pad, dilation, groups } = resolveConv2dOptions(op, options, KH, KW);
  if (Cin % groups !== 0) throw invalidRange(op, 'groups', `a divisor of Cin = ${Cin}`, groups);
  if (Cout % groups !== 0) throw invalidRange(op, 'groups', `a divisor of Cout = ${Cout}`, groups);
  if (CinG * groups !== Cin)
    throw invalidRange(
      op,
      'weight',
      `shape [Cout, ${Cin / groups}, KH, KW] (Cin ${Cin} / groups ${groups})`,
      `shape [${weightShape}]`,
    );
  for (const [name, v] of [
    ['N', N],
    ['H', H],
    ['W', W],
    ['Cin', Cin],
    ['Cout', Cout],
    ['KH', KH],
    ['KW', KW],
  ] as const)
    if (v < 1) throw invalidRange(op, name, 'a size >= 1', v);
  const spanH = dilation[0] * (KH - 1) + 1,
    spanW = dilation[1] * (KW - 1) + 1;
  if (H + pad[0] + pad[1] < spanH || W + pad[2] + pad[3] < spanW)
    throw invalidRange(
      op,
      'weight',
      `a kernel no larger than the padded input ${H + pad[0] + pad[1]}x${W + pad[2] + pad[3]}`,
      `a ${spanH}x${spanW} kernel (with dilation)`,
    );
  const OH = Math.floor((H + pad[0] + pad[1] - spanH) / stride[0]) + 1;
  const OW = Math.floor((W + pad[2] + pad[3] - spanW) / stride[1]) + 1;
  const params = [
    N,
    H,
    W,
    Cin,
    Cout,
    KH,
    KW,
    stride[0],
    stride[1],
    pad[0],
    pad[1],
    pad[2],
    pad[3],
    dilation[0],
    dilation[1],
    groups,
  ];
  return { params, outShape: [N, OH, OW, Cout] };
}

function algorithmCode(op: string, algorithm: unknown): number {
  if (!(typeof algorithm === 'string' && algorithm in algorithmCodes))
    throw invalidRange(
      op,
      'algorithm',
      "'auto', 'gemm', 'groupedDirect', 'implicit' or 'winograd'",
      algorithm,
    );
  return algorithmCodes[algorithm as Conv2dAlgorithm];
}

function sameShape(op: string, name: string, t: Tensor, shape: Shape): void {
  if (t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    throw invalidRange(op, name, `shape [${shape}]`, `shape [${t.shape}]`);
}

/** y = conv2d(x, weight) + bias (+ residual, then activation). x [N,H,W,Cin], weight [Cout,Cin/g,KH,KW]. */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
  fusion: Conv2dFusion = {},
  algorithm: Conv2dAlgorithm = 'auto',
): Tensor {
  const op = 'conv2d';
  requireTensor(op, 'x', x);
  requireTensor(op, 'weight', weight);
  requireRank(op, 'x', x, 4, '[N, H, W, Cin]');
  requireRank(op, 'weight', weight, 4, '[Cout, Cin/groups, KH, KW]');
  if (fusion === null || typeof fusion !== 'object')
    throw invalidType(op, 'fusion', 'an object', fusion);
  const norm = inputNormArguments(op, x, weight.shape, fusion.inputNorm);
  const { params, outShape } = conv2dGeometry(op, norm.shape, weight.shape, options);
  if (fusion.inputNorm !== undefined && !isPointwiseParams(params))
    throw invalidRange(
      op,
      'inputNorm',
      'a 1x1 stride-1 unpadded convolution of one group',
      `params [${params}]`,
    );
  if (bias !== null) {
    requireTensor(op, 'bias', bias);
    sameShape(op, 'bias', bias, [outShape[3]]);
  }
  if (fusion.inputNorm !== undefined && (fusion.residual !== undefined || fusion.activation))
    throw invalidRange(op, 'fusion', 'no residual or activation with inputNorm', 'both');
  if (fusion.residual !== undefined) {
    requireTensor(op, 'residual', fusion.residual);
    sameShape(op, 'residual', fusion.residual, outShape);
  }
  const activation = fusion.activation ?? 'none';
  const activationCode = ['none', 'relu', 'relu6'].indexOf(activation);
  if (activationCode < 0)
    throw invalidRange(op, 'activation', "'none', 'relu' or 'relu6'", describeValue(activation));
  const code = algorithmCode(op, algorithm);
  const stats = fusion.batchStats;
  if (stats !== undefined) batchStatsArray(op, stats, outShape[3]);
  const y = empty(outShape);
  addon.conv2dForward(
    params,
    x.data,
    weight.data,
    bias ? bias.data : null,
    fusion.residual ? fusion.residual.data : null,
    activationCode,
    y.data,
    code,
    stats ?? null,
    ...norm.args,
  );
  return y;
}

/** 1x1, stride 1, no padding, one group (a params array). */
function isPointwiseParams(params: Conv2dParamsArray): boolean {
  const [, , , , , KH, KW, sH, sW, pt, pb, pl, pr, , , groups] = params;
  return KH === 1 && KW === 1 && sH === 1 && sW === 1 && pt + pb + pl + pr === 0 && groups === 1;
}

/** A data gradient's inputShape: [N, H, W, Cin] of positive integers, else a RangeError. */
function requireInputShape(op: string, inputShape: unknown): asserts inputShape is Shape {
  if (
    !Array.isArray(inputShape) ||
    inputShape.length !== 4 ||
    !inputShape.every((d) => Number.isInteger(d) && d >= 1)
  )
    throw invalidRange(op, 'inputShape', 'a shape [N, H, W, Cin] of positive integers', inputShape);
}

/** dL/dx [N,H,W,Cin] from dy [N,OH,OW,Cout]; inputShape is x's shape. */
export function conv2dBackwardData(
  dy: Tensor,
  weight: Tensor,
  inputShape: Shape,
  options: Conv2dOptions = {},
  algorithm: Conv2dAlgorithm = 'auto',
  /** Add dL/dx into this tensor (inputShape) and return it, instead of a new one. */
  accumulateInto: Tensor | null = null,
): Tensor {
  const op = 'conv2dBackwardData';
  requireTensor(op, 'dy', dy);
  requireTensor(op, 'weight', weight);
  requireRank(op, 'weight', weight, 4, '[Cout, Cin/groups, KH, KW]');
  requireInputShape(op, inputShape);
  const { params, outShape } = conv2dGeometry(op, inputShape, weight.shape, options);
  sameShape(op, 'dy', dy, outShape);
  if (accumulateInto !== null) {
    requireTensor(op, 'accumulateInto', accumulateInto);
    sameShape(op, 'accumulateInto', accumulateInto, inputShape);
  }
  const dx = accumulateInto ?? empty(inputShape);
  addon.conv2dBackwardData(
    params,
    dy.data,
    weight.data,
    dx.data,
    algorithmCode(op, algorithm),
    accumulateInto !== null,
  );
  return dx;
}

/**
 * For conv2dBackwardDataNormGradient: the conv's input is x = act(bn(h)), h being [N, H, W, C]
 * with C >= x's channels (the norm read h's first channels: a DenseNet block's buffer); mean
 * and affine are the norm's saveMean and saveAffine.
 */
export interface ConvNormGradient {
  h: Tensor;
  mean: Tensor;
  affine: Tensor;
  activation: 'none' | 'relu' | 'relu6' | 'silu';
  /** Float64Array(2 Cin), added to: sum g and sum g (h - mean). */
  sums: Float64Array;
}

const normActivationCodes: Record<ConvNormGradient['activation'], number> = {
  none: 0,
  relu: 1,
  relu6: 2,
  silu: 3,
};

/**
 * conv2dBackwardData of a 1x1 stride-1 convolution (one group) whose input is act(bn(h)), with
 * the norm's first backward pass on each run of dx rows while it is in cache: `norm.sums`
 * receives sum g and sum g (h - mean), g = dx masked by the activation, and the returned
 * tensor holds g (batchNorm2dBackward's `sums` runs the rest).
 */
export function conv2dBackwardDataNormGradient(
  dy: Tensor,
  weight: Tensor,
  inputShape: Shape,
  norm: ConvNormGradient,
): Tensor {
  const op = 'conv2dBackwardDataNormGradient';
  requireTensor(op, 'dy', dy);
  requireTensor(op, 'weight', weight);
  requireRank(op, 'weight', weight, 4, '[Cout, Cin, 1, 1]');
  if (weight.shape[2] !== 1 || weight.shape[3] !== 1)
    throw invalidRange(op, 'weight', 'a 1x1 kernel [Cout, Cin, 1, 1]', `[${weight.shape}]`);
  requireInputShape(op, inputShape);
  const { params, outShape } = conv2dGeometry(op, inputShape, weight.shape, {});
  sameShape(op, 'dy', dy, outShape);
  const C = inputShape[3];
  requireTensor(op, 'norm.h', norm.h);
  const [N, H, W] = inputShape;
  if (
    norm.h.ndim !== 4 ||
    norm.h.shape[0] !== N ||
    norm.h.shape[1] !== H ||
    norm.h.shape[2] !== W ||
    norm.h.shape[3] < C
  )
    throw invalidRange(op, 'norm.h', `shape [${N}, ${H}, ${W}, >= ${C}]`, `[${norm.h.shape}]`);
  requireTensor(op, 'norm.mean', norm.mean);
  requireTensor(op, 'norm.affine', norm.affine);
  if (!Object.prototype.hasOwnProperty.call(normActivationCodes, norm.activation))
    throw invalidRange(op, 'norm.activation', "'none', 'relu', 'relu6' or 'silu'", norm.activation);
  if (!(norm.sums instanceof Float64Array) || norm.sums.length !== 2 * C)
    throw invalidRange(op, 'norm.sums', `a Float64Array of ${2 * C}`, describeValue(norm.sums));
  const dx = empty(inputShape);
  addon.conv2dBackwardData(
    params,
    dy.data,
    weight.data,
    dx.data,
    algorithmCode(op, 'auto'),
    false,
    norm.h.data,
    norm.h.shape[3],
    norm.mean.data,
    norm.affine.data,
    normActivationCodes[norm.activation],
    norm.sums,
  );
  return dx;
}

/**
 * For conv2dBackwardNormApplied: the batch norm that read the conv's output h (its saveMean and
 * saveInvstd, or the running mean and 1 / sqrt(var + eps) in eval; gamma null when it has none),
 * g its output's gradient masked by its activation, and sums its first-pass sums (sum g, sum
 * g (h - mean): what a depthwise data gradient with `norm` returns in them).
 */
export interface ConvOutputNorm {
  h: Tensor;
  g: Tensor;
  mean: Tensor;
  invstd: Tensor;
  gamma: Tensor | null;
  training: boolean;
  sums: Float64Array;
}

/** Which gradients conv2dBackwardNormApplied computes. */
export interface NormAppliedRequest {
  dx: boolean;
  /** Add dL/dx into this tensor (x's shape) instead of a new one (with dx). */
  accumulateInto?: Tensor | null;
  dWeight: boolean;
  /** dL/dgamma and dL/dbeta. */
  normParameters: boolean;
}

/**
 * Both gradients of a 1x1 stride-1 convolution (one group, no bias) whose output h a batch norm
 * read, and the norm's parameter gradients: the norm's second backward pass (dh from g, h and
 * the sums) runs on each chunk of rows in cache and the conv's data and weight gradients read dh
 * there (dh is never stored where that pays). Absent requests come back null.
 */
export function conv2dBackwardNormApplied(
  x: Tensor,
  weight: Tensor,
  norm: ConvOutputNorm,
  request: NormAppliedRequest,
): { dx: Tensor | null; dWeight: Tensor | null; dGamma: Tensor | null; dBeta: Tensor | null } {
  const op = 'conv2dBackwardNormApplied';
  requireTensor(op, 'x', x);
  requireTensor(op, 'weight', weight);
  requireRank(op, 'x', x, 4, '[N, H, W, Cin]');
  requireRank(op, 'weight', weight, 4, '[Cout, Cin, 1, 1]');
  if (weight.shape[2] !== 1 || weight.shape[3] !== 1)
    throw invalidRange(op, 'weight', 'a 1x1 kernel [Cout, Cin, 1, 1]', `[${weight.shape}]`);
  const { params, outShape } = conv2dGeometry(op, x.shape, weight.shape, {});
  const C = outShape[3];
  requireTensor(op, 'norm.h', norm.h);
  sameShape(op, 'norm.h', norm.h, outShape);
  requireTensor(op, 'norm.g', norm.g);
  sameShape(op, 'norm.g', norm.g, outShape);
  for (const name of ['mean', 'invstd'] as const) {
    requireTensor(op, `norm.${name}`, norm[name]);
    sameShape(op, `norm.${name}`, norm[name], [C]);
  }
  if (norm.gamma !== null) {
    requireTensor(op, 'norm.gamma', norm.gamma);
    sameShape(op, 'norm.gamma', norm.gamma, [C]);
  }
  if (!(norm.sums instanceof Float64Array) || norm.sums.length !== 2 * C)
    throw invalidRange(op, 'norm.sums', `a Float64Array of ${2 * C}`, describeValue(norm.sums));
  const into = request.accumulateInto ?? null;
  if (into !== null) {
    requireTensor(op, 'accumulateInto', into);
    sameShape(op, 'accumulateInto', into, x.shape);
  }
  const dx = request.dx ? (into ?? empty(x.shape)) : null;
  const dWeight = request.dWeight ? empty(weight.shape) : null;
  const dGamma = request.normParameters ? empty([C]) : null;
  const dBeta = request.normParameters ? empty([C]) : null;
  addon.conv2dBackwardNormApplied(
    params,
    x.data,
    weight.data,
    norm.h.data,
    norm.g.data,
    norm.mean.data,
    norm.invstd.data,
    norm.gamma ? norm.gamma.data : null,
    norm.training === true,
    norm.sums,
    dx ? dx.data : null,
    request.dx && into !== null,
    dWeight ? dWeight.data : null,
    dGamma ? dGamma.data : null,
    dBeta ? dBeta.data : null,
  );
  return { dx, dWeight, dGamma, dBeta };
}

/** dL/dweight [Cout,Cin/g,KH,KW] and, with computeBias, dL/dbias [Cout] (column sums of dy). */
export function conv2dBackwardWeights(
  x: Tensor,
  dy: Tensor,
  weightShape: Shape,
  options: Conv2dOptions = {},
  computeBias = false,
  algorithm: Conv2dAlgorithm = 'auto',
  /** x is normalised by this batch norm first, as conv2d's fusion.inputNorm. */
  inputNorm?: InputNorm,
): { weight: Tensor; bias: Tensor | null } {
  const op = 'conv2dBackwardWeights';
  requireTensor(op, 'x', x);
  requireTensor(op, 'dy', dy);
  requireRank(op, 'x', x, 4, '[N, H, W, Cin]');
  if (
    !Array.isArray(weightShape) ||
    weightShape.length !== 4 ||
    !weightShape.every((d) => Number.isInteger(d) && d >= 1)
  )
    throw invalidRange(
      op,
      'weightShape',
      'a shape [Cout, Cin/groups, KH, KW] of positive integers',
      weightShape,
    );
  const norm = inputNormArguments(op, x, weightShape, inputNorm);
  const { params, outShape } = conv2dGeometry(op, norm.shape, weightShape, options);
  if (inputNorm !== undefined && !isPointwiseParams(params))
    throw invalidRange(
      op,
      'inputNorm',
      'a 1x1 stride-1 unpadded convolution of one group',
      `params [${params}]`,
    );
  sameShape(op, 'dy', dy, outShape);
  const dw = empty(weightShape);
  const db = computeBias ? empty([weightShape[0]]) : null;
  addon.conv2dBackwardWeights(
    params,
    x.data,
    dy.data,
    dw.data,
    db ? db.data : null,
    algorithmCode(op, algorithm),
    ...norm.args,
  );
  return { weight: dw, bias: db };
}

/** The native params array for (input, weight, options) — for tests and benchmarks. */
export function conv2dParams(
  inputShape: Shape,
  weightShape: Shape,
  options: Conv2dOptions = {},
): { params: Conv2dParamsArray; outShape: number[] } {
  return conv2dGeometry('conv2dParams', inputShape, weightShape, options);
}

export const convNative: ConvNative = addon;
