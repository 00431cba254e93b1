// BatchNorm2d on NHWC tensors [N, H, W, C] with the native kernels, PyTorch semantics
// (torch.nn.functional.batch_norm): training normalizes with the batch mean and biased
// variance and updates the running stats in place with the unbiased variance; an optional
// ReLU / ReLU6 is fused after the affine transform (and into the backward).
import { invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Tensor, empty, requireTensor, zeros } from '../tensor';

/** Activations fused after the normalisation ('silu': x * sigmoid(x), EfficientNet's). */
export type BatchNormActivation = 'none' | 'relu' | 'relu6' | 'silu';

/** The native surface of this family (the lead wires it into lib/native.ts). */
export interface BatchNormNative {
  batchNormForwardTraining(
    rows: number,
    C: number,
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    runningMean: Float32Array | null,
    runningVar: Float32Array | null,
    momentum: number,
    eps: number,
    activation: string,
    y: Float32Array | null,
    saveMean: Float32Array,
    saveInvstd: Float32Array,
    saveAffine?: Float32Array | null,
    residual?: Float32Array | null,
    ldx?: number,
    stats?: Float64Array | null,
  ): void;
  batchNormForwardTrainingReference: BatchNormNative['batchNormForwardTraining'];
  batchNormForwardEval(
    rows: number,
    C: number,
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    runningMean: Float32Array,
    runningVar: Float32Array,
    eps: number,
    activation: string,
    y: Float32Array | null,
    saveAffine?: Float32Array | null,
    residual?: Float32Array | null,
    ldx?: number,
  ): void;
  batchNormForwardEvalReference: BatchNormNative['batchNormForwardEval'];
  batchNormBackward(
    rows: number,
    C: number,
    x: Float32Array,
    dy: Float32Array,
    y: Float32Array | null,
    gamma: Float32Array | null,
    mean: Float32Array,
    invstd: Float32Array,
    training: boolean,
    activation: string,
    dx: Float32Array,
    dgamma: Float32Array | null,
    dbeta: Float32Array | null,
    affine?: Float32Array | null,
    ldx?: number,
    accumulate?: boolean,
    gOut?: Float32Array | null,
    sums?: Float64Array | null,
  ): void;
  batchNormBackwardReference: BatchNormNative['batchNormBackward'];
  batchNormStatistics(rows: number, C: number, x: Float32Array, stats: Float64Array): void;
}

export const batchNormNative = native as unknown as BatchNormNative;

export interface BatchNormParams {
  /** gamma [C]; omit for affine=false. */
  weight?: Tensor | null;
  /** beta [C]; omit for affine=false. */
  bias?: Tensor | null;
  eps?: number;
  activation?: BatchNormActivation;
  /** Added before the activation, y's shape: y = act(bn(x) + residual) (not with 'silu'). */
  residual?: Tensor | null;
  /**
   * Normalise only x's first `channels` channels (default: all of them); y has `channels`
   * channels. x may so be a wider tensor, as a DenseNet block's shared feature buffer.
   */
  channels?: number;
}

export interface BatchNormTrainingOptions extends BatchNormParams {
  /** Updated in place when given (track_running_stats). */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** PyTorch's momentum (default 0.1); null = cumulative moving average, factor 1/numBatchesTracked. */
  momentum?: number | null;
  /** num_batches_tracked AFTER counting this batch; required when momentum is null. */
  numBatchesTracked?: number;
  /**
   * x's batch statistics already summed where x was produced: [count, mean[C], m2[C]] (a
   * convolution's `batchStats`; count must equal N*H*W). x is then read once instead of twice.
   */
  batchStats?: Float64Array | null;
}

export interface BatchNormEvalOptions extends BatchNormParams {
  runningMean: Tensor;
  runningVar: Tensor;
  /** Filled, when given ([4C]), like the training forward's saveAffine (for a backward). */
  saveAffine?: Tensor | null;
}

export interface BatchNormBackwardOptions {
  weight?: Tensor | null;
  /** saveMean of the training forward, or the running mean (training=false). */
  mean: Tensor;
  /** saveInvstd of the training forward, or 1/sqrt(runningVar + eps) (training=false). */
  invstd: Tensor;
  /** Whether the forward used batch statistics (default true). */
  training?: boolean;
  activation?: BatchNormActivation;
  /** The forward output: needed with a fused ReLU / ReLU6, unless `affine` is given. */
  y?: Tensor | null;
  /**
   * The forward's saveAffine: with a fused activation, the backward recomputes the
   * activation's mask from x with it (bit-identical to the forward's) instead of reading y.
   * Required for 'silu'.
   */
  affine?: Tensor | null;
  /** Compute dweight / dbias (default true). */
  parameterGradients?: boolean;
  /** The forward's `channels` (default: all of x's). dy and y have this many channels. */
  channels?: number;
  /**
   * Add dx into this tensor (x's shape, its first `channels` channels) instead of returning
   * a new one: the gradient of a shared feature buffer, accumulated in place.
   */
  accumulateInto?: Tensor | null;
  /**
   * Also return g, dy masked by the fused activation (dy's shape), written in the first pass:
   * the gradient of a residual added before the activation. Needs an activation.
   */
  maskedGradient?: boolean;
  /**
   * The first pass's sums, [sum g (C), sum g (x - mean) (C)], taken by dy's producer, which
   * also replaced dy by g (dy masked by the activation): only the second pass runs
   * (depthwiseConv2dBackwardData's normGradient). Not with maskedGradient.
   */
  sums?: Float64Array | null;
}

/**
 * x's rows (N*H*W), the channels normalised (C: `channels`, default all) and x's row length
 * (ldx), and y's shape.
 */
function requireInput(
  op: string,
  name: string,
  x: unknown,
  channels: unknown,
): { rows: number; C: number; ldx: number; yShape: number[] } {
  const t = requireTensor(op, name, x);
  if (t.ndim !== 4)
    throw invalidRange(op, name, 'a 4-D NHWC tensor [N, H, W, C]', `shape [${t.shape}]`);
  const ldx = t.shape[3];
  let C = ldx;
  if (channels !== undefined) {
    if (typeof channels !== 'number') throw invalidType(op, 'channels', 'an integer', channels);
    if (!Number.isInteger(channels) || channels < 1 || channels > ldx)
      throw invalidRange(op, 'channels', `an integer in [1, ${ldx}] (x's channels)`, channels);
    C = channels;
  }
  return {
    rows: t.size / Math.max(ldx, 1),
    C,
    ldx,
    yShape: [t.shape[0], t.shape[1], t.shape[2], C],
  };
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

function channelVector(
  op: string,
  name: string,
  value: unknown,
  C: number,
  optional: boolean,
): Float32Array | null {
  if (value === undefined || value === null) {
    if (optional) return null;
    throw invalidType(op, name, 'a Tensor', value);
  }
  const t = requireTensor(op, name, value);
  if (t.ndim !== 1 || t.shape[0] !== C)
    throw invalidRange(op, name, `a 1-D tensor of ${C} channels`, `shape [${t.shape}]`);
  return t.data;
}

function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number') throw invalidType(op, 'eps', 'a number', eps);
  if (!(eps >= 0) || !Number.isFinite(eps))
    throw invalidRange(op, 'eps', 'a finite number >= 0', eps);
  return eps;
}

function checkActivation(op: string, activation: unknown): BatchNormActivation {
  if (
    activation !== 'none' &&
    activation !== 'relu' &&
    activation !== 'relu6' &&
    activation !== 'silu'
  )
    throw invalidRange(op, 'activation', "'none', 'relu', 'relu6' or 'silu'", activation);
  return activation;
}

/**
 * Training forward: returns y and the saved mean / invstd for the backward, and with a fused
 * activation saveAffine [4C] (the per-channel floats y was computed with; see the backward).
 */
export function batchNorm2dForwardTraining(
  x: Tensor,
  options: BatchNormTrainingOptions = {},
): { y: Tensor; saveMean: Tensor; saveInvstd: Tensor; saveAffine: Tensor | null } {
  const out = forwardTraining('batchNorm2dForwardTraining', x, options, true);
  return { ...out, y: out.y! };
}

/**
 * The training forward without its output: batch statistics, running statistics and
 * saveAffine ([4C], always), for a caller that applies them itself (batchnorm_excite.ts).
 */
export function batchNorm2dTrainingAffine(
  x: Tensor,
  options: BatchNormTrainingOptions = {},
): { saveMean: Tensor; saveInvstd: Tensor; saveAffine: Tensor } {
  const out = forwardTraining('batchNorm2dTrainingAffine', x, options, false);
  return { saveMean: out.saveMean, saveInvstd: out.saveInvstd, saveAffine: out.saveAffine! };
}

function forwardTraining(
  op: string,
  x: Tensor,
  options: BatchNormTrainingOptions,
  output: boolean,
): { y: Tensor | null; saveMean: Tensor; saveInvstd: Tensor; saveAffine: Tensor | null } {
  const { rows, C, ldx, yShape } = requireInput(op, 'x', x, options.channels);
  const gamma = channelVector(op, 'weight', options.weight, C, true);
  const beta = channelVector(op, 'bias', options.bias, C, true);
  const runningMean = channelVector(op, 'runningMean', options.runningMean, C, true);
  const runningVar = channelVector(op, 'runningVar', options.runningVar, C, true);
  const eps = checkEps(op, options.eps ?? 1e-5);
  const activation = checkActivation(op, options.activation ?? 'none');
  let factor: number;
  if (options.momentum === null) {
    const count = options.numBatchesTracked;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
      throw invalidRange(op, 'numBatchesTracked', 'an integer >= 1 when momentum is null', count);
    factor = 1 / count;
  } else {
    const momentum = options.momentum ?? 0.1;
    if (typeof momentum !== 'number')
      throw invalidType(op, 'momentum', 'a number or null', momentum);
    if (!(momentum >= 0 && momentum <= 1))
      throw invalidRange(op, 'momentum', 'a number in [0, 1]', momentum);
    factor = momentum;
  }
  if (rows < 2 && C > 0)
    throw invalidRange(
      op,
      'x',
      'more than 1 value per channel when training (N*H*W > 1)',
      `shape [${x.shape}]`,
    );
  const residual = residualData(op, yShape, options);
  const stats = options.batchStats == null ? null : batchStatsArray(op, options.batchStats, C);
  if (stats && stats[0] !== rows)
    throw invalidRange(op, 'batchStats', `statistics of ${rows} rows (N*H*W)`, `${stats[0]} rows`);
  const y = output ? empty(yShape) : null;
  const saveMean = empty([C]);
  const saveInvstd = empty([C]);
  // With a residual the mask cannot be recomputed from x: the backward reads y.
  const saveAffine = output && (activation === 'none' || residual) ? null : empty([4 * C]);
  batchNormNative.batchNormForwardTraining(
    rows,
    C,
    x.data,
    gamma,
    beta,
    runningMean,
    runningVar,
    factor,
    eps,
    activation,
    y ? y.data : null,
    saveMean.data,
    saveInvstd.data,
    saveAffine ? saveAffine.data : null,
    residual,
    ldx,
    stats,
  );
  return { y, saveMean, saveInvstd, saveAffine };
}

/** The residual's data, checked against y's shape (and the activation), or null. */
function residualData(
  op: string,
  yShape: readonly number[],
  options: BatchNormParams,
): Float32Array | null {
  const r = options.residual;
  if (r === undefined || r === null) return null;
  requireTensor(op, 'residual', r);
  if (!sameShape(r.shape, yShape))
    throw invalidRange(op, 'residual', `shape [${yShape}] like the output`, `shape [${r.shape}]`);
  if (options.activation === 'silu')
    throw invalidRange(op, 'residual', "no residual with activation 'silu'", 'a residual');
  return r.data;
}

/** Eval forward with the running statistics. */
export function batchNorm2dForwardEval(x: Tensor, options: BatchNormEvalOptions): Tensor {
  return forwardEval('batchNorm2dForwardEval', x, options, true);
}

/** The eval forward's saveAffine ([4C]) without its output (batchnorm_excite.ts). */
export function batchNorm2dEvalAffine(
  x: Tensor,
  options: Omit<BatchNormEvalOptions, 'saveAffine'>,
): Tensor {
  return forwardEval('batchNorm2dEvalAffine', x, options, false);
}

// Returns y, or without output the saveAffine it made.
function forwardEval(
  op: string,
  x: Tensor,
  options: BatchNormEvalOptions,
  output: boolean,
): Tensor {
  if (typeof options !== 'object' || options === null)
    throw invalidType(op, 'options', 'an object', options);
  const { rows, C, ldx, yShape } = requireInput(op, 'x', x, options.channels);
  const gamma = channelVector(op, 'weight', options.weight, C, true);
  const beta = channelVector(op, 'bias', options.bias, C, true);
  const runningMean = channelVector(op, 'runningMean', options.runningMean, C, false)!;
  const runningVar = channelVector(op, 'runningVar', options.runningVar, C, false)!;
  const eps = checkEps(op, options.eps ?? 1e-5);
  const activation = checkActivation(op, options.activation ?? 'none');
  const affineTensor = output ? null : empty([4 * C]);
  const saveAffine = affineTensor
    ? affineTensor.data
    : options.saveAffine === undefined || options.saveAffine === null
      ? null
      : channelVector(op, 'saveAffine', options.saveAffine, 4 * C, false);
  const residual = residualData(op, yShape, options);
  const y = output ? empty(yShape) : null;
  batchNormNative.batchNormForwardEval(
    rows,
    C,
    x.data,
    gamma,
    beta,
    runningMean,
    runningVar,
    eps,
    activation,
    y ? y.data : null,
    saveAffine,
    residual,
    ldx,
  );
  return y ?? affineTensor!;
}

/** Backward of BN (+ the fused activation): dx, and dweight / dbias unless disabled. */
export function batchNorm2dBackward(
  x: Tensor,
  dy: Tensor,
  options: BatchNormBackwardOptions,
): { dx: Tensor; dweight: Tensor | null; dbias: Tensor | null; g: Tensor | null } {
  const op = 'batchNorm2dBackward';
  if (typeof options !== 'object' || options === null)
    throw invalidType(op, 'options', 'an object', options);
  const { rows, C, ldx, yShape } = requireInput(op, 'x', x, options.channels);
  requireTensor(op, 'dy', dy);
  if (!sameShape(dy.shape, yShape))
    throw invalidRange(op, 'dy', `shape [${yShape}] like the output`, `shape [${dy.shape}]`);
  const gamma = channelVector(op, 'weight', options.weight, C, true);
  const mean = channelVector(op, 'mean', options.mean, C, false)!;
  const invstd = channelVector(op, 'invstd', options.invstd, C, false)!;
  const activation = checkActivation(op, options.activation ?? 'none');
  const training = options.training ?? true;
  if (typeof training !== 'boolean') throw invalidType(op, 'training', 'a boolean', training);
  let y: Float32Array | null = null;
  let affine: Float32Array | null = null;
  if (activation === 'silu' || (activation !== 'none' && options.affine != null)) {
    // silu's derivative needs the pre-activation: only the affine form exists.
    affine = channelVector(op, 'affine', options.affine, 4 * C, false);
  } else if (activation !== 'none') {
    const out = requireTensor(op, 'y', options.y);
    if (!sameShape(out.shape, yShape))
      throw invalidRange(op, 'y', `shape [${yShape}] like the output`, `shape [${out.shape}]`);
    y = out.data;
  }
  let dx: Tensor;
  let accumulate = true;
  if (options.accumulateInto != null) {
    dx = requireTensor(op, 'accumulateInto', options.accumulateInto);
    if (!sameShape(dx.shape, x.shape))
      throw invalidRange(op, 'accumulateInto', `shape [${x.shape}] like x`, `shape [${dx.shape}]`);
  } else if (C < ldx) {
    dx = zeros(x.shape); // the channels past `channels` get no gradient
  } else {
    dx = empty(x.shape);
    accumulate = false;
  }
  const grads = options.parameterGradients ?? true;
  if (options.maskedGradient && activation === 'none')
    throw invalidRange(op, 'maskedGradient', 'used with a fused activation', "activation 'none'");
  const g = options.maskedGradient ? empty(yShape) : null;
  const sums = options.sums ?? null;
  if (sums !== null) {
    if (!(sums instanceof Float64Array) || sums.length !== 2 * C)
      throw invalidRange(op, 'sums', `a Float64Array of ${2 * C} (2 x ${C} channels)`, sums);
    if (g) throw invalidRange(op, 'sums', 'not given with maskedGradient', 'both');
  }
  const dweight = grads ? empty([C]) : null;
  const dbias = grads ? empty([C]) : null;
  batchNormNative.batchNormBackward(
    rows,
    C,
    x.data,
    dy.data,
    y,
    gamma,
    mean,
    invstd,
    training,
    activation,
    dx.data,
    dweight ? dweight.data : null,
    dbias ? dbias.data : null,
    affine,
    ldx,
    accumulate,
    g ? g.data : null,
    sums,
  );
  return { dx, dweight, dbias, g };
}

/** 1/sqrt(runningVar + eps) per channel: the invstd the backward needs after an eval forward. */
export function runningInvstd(runningVar: Tensor, eps: number): Tensor {
  const rv = runningVar.data;
  const invstd = empty([rv.length]);
  for (let c = 0; c < rv.length; c++) invstd.data[c] = 1 / Math.sqrt(rv[c] + eps);
  return invstd;
}

/** Checks a batch-statistics array for C channels: a Float64Array of 1 + 2C (batchnorm.ts). */
export function batchStatsArray(op: string, stats: unknown, C: number): Float64Array {
  if (!(stats instanceof Float64Array))
    throw invalidType(op, 'batchStats', 'a Float64Array', stats);
  if (stats.length !== 1 + 2 * C)
    throw invalidRange(op, 'batchStats', `length 1 + 2 * ${C} = ${1 + 2 * C}`, stats.length);
  return stats;
}

/**
 * x's per-channel batch statistics ([N, H, W, C], or any shape with channels last) as the
 * training forward sums them, in its `batchStats` format [count, mean[C], m2[C]]: for a tensor
 * that norms read later (a DenseNet block's features, read by every later layer's norm1).
 * Into `out` (1 + 2C) when given.
 */
export function batchStatistics(x: Tensor, out?: Float64Array): Float64Array {
  const op = 'batchStatistics';
  requireTensor(op, 'x', x);
  if (x.ndim < 1) throw invalidRange(op, 'x', 'a tensor with a channel axis', `shape [${x.shape}]`);
  const C = x.shape[x.ndim - 1];
  const stats = out === undefined ? new Float64Array(1 + 2 * C) : batchStatsArray(op, out, C);
  batchNormNative.batchNormStatistics(C > 0 ? x.size / C : 0, C, x.data, stats);
  return stats;
}
