// Softmax / logSoftmax over the last axis and the losses (cross-entropy from logits, nll from
// log-probabilities, mse), forward and backward, with PyTorch 1.13's semantics: class weights,
// ignoreIndex, label smoothing, reductions 'mean' | 'sum' | 'none' ('mean' divides by the sum
// of the targets' weights).
import { checkInt, checkNumber, invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Tensor, empty, zeros, requireTensor } from '../tensor';

export type Reduction = 'mean' | 'sum' | 'none';

type RowFn = (x: Float32Array, y: Float32Array, rows: number, C: number) => void;
type RowBackwardFn = (
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  rows: number,
  C: number,
) => void;
type XentForward = (
  logits: Float32Array,
  labels: Int32Array,
  N: number,
  C: number,
  weight: Float32Array | null,
  ignoreIndex: number,
  labelSmoothing: number,
  reduction: Reduction,
  out: Float32Array,
) => void;
type XentBackward = (
  logits: Float32Array,
  labels: Int32Array,
  N: number,
  C: number,
  weight: Float32Array | null,
  ignoreIndex: number,
  labelSmoothing: number,
  reduction: Reduction,
  gradOut: Float32Array,
  dx: Float32Array,
) => void;
type NllForward = (
  logProbs: Float32Array,
  labels: Int32Array,
  N: number,
  C: number,
  weight: Float32Array | null,
  ignoreIndex: number,
  reduction: Reduction,
  out: Float32Array,
) => void;
type NllBackward = (
  labels: Int32Array,
  N: number,
  C: number,
  weight: Float32Array | null,
  ignoreIndex: number,
  reduction: Reduction,
  gradOut: Float32Array,
  dx: Float32Array,
) => void;
type MseForward = (
  input: Float32Array,
  target: Float32Array,
  n: number,
  reduction: Reduction,
  out: Float32Array,
) => void;
type MseBackward = (
  input: Float32Array,
  target: Float32Array,
  n: number,
  reduction: Reduction,
  gradOut: Float32Array,
  dx: Float32Array,
) => void;

export interface LossNative {
  softmaxForward: RowFn;
  softmaxForwardReference: RowFn;
  logSoftmaxForward: RowFn;
  logSoftmaxForwardReference: RowFn;
  softmaxBackward: RowBackwardFn;
  softmaxBackwardReference: RowBackwardFn;
  logSoftmaxBackward: RowBackwardFn;
  logSoftmaxBackwardReference: RowBackwardFn;
  crossEntropyForward: XentForward;
  crossEntropyForwardReference: XentForward;
  crossEntropyBackward: XentBackward;
  crossEntropyBackwardReference: XentBackward;
  nllLossForward: NllForward;
  nllLossForwardReference: NllForward;
  nllLossBackward: NllBackward;
  nllLossBackwardReference: NllBackward;
  mseLossForward: MseForward;
  mseLossForwardReference: MseForward;
  mseLossBackward: MseBackward;
  mseLossBackwardReference: MseBackward;
}

export const lossNative = native as unknown as LossNative;

function lastAxis(op: string, x: Tensor): { rows: number; C: number } {
  if (x.ndim < 1) throw invalidRange(op, 'x', 'a tensor of rank >= 1', `shape [${x.shape}]`);
  const C = x.shape[x.ndim - 1];
  return { rows: C === 0 ? 0 : x.size / C, C };
}

/** Softmax over the last axis (max-subtracted, so large logits do not overflow). */
export function softmax(x: Tensor): Tensor {
  requireTensor('softmax', 'x', x);
  const { rows, C } = lastAxis('softmax', x);
  const y = empty(x.shape);
  lossNative.softmaxForward(x.data, y.data, rows, C);
  return y;
}

/** log(softmax(x)) over the last axis, computed as x - logsumexp(x). */
export function logSoftmax(x: Tensor): Tensor {
  requireTensor('logSoftmax', 'x', x);
  const { rows, C } = lastAxis('logSoftmax', x);
  const y = empty(x.shape);
  lossNative.logSoftmaxForward(x.data, y.data, rows, C);
  return y;
}

function rowBackward(op: string, fn: RowBackwardFn, y: Tensor, dy: Tensor): Tensor {
  requireTensor(op, 'y', y);
  requireTensor(op, 'dy', dy);
  if (dy.shape.length !== y.shape.length || dy.shape.some((d, i) => d !== y.shape[i]))
    throw invalidRange(op, 'dy', `shape [${y.shape}] like y`, `shape [${dy.shape}]`);
  const { rows, C } = lastAxis(op, y);
  const dx = empty(y.shape);
  fn(y.data, dy.data, dx.data, rows, C);
  return dx;
}

/** Gradient of softmax given its output y and the gradient dy w.r.t. y. */
export function softmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return rowBackward('softmaxBackward', lossNative.softmaxBackward, y, dy);
}

/** Gradient of logSoftmax given its output y and the gradient dy w.r.t. y. */
export function logSoftmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return rowBackward('logSoftmaxBackward', lossNative.logSoftmaxBackward, y, dy);
}

export type Labels = Int32Array | readonly number[] | Tensor;

export interface ClassLossOptions {
  /** Per-class weights, shape [C]. */
  weight?: Tensor | null;
  /** Rows whose label equals this add nothing (default -100). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends ClassLossOptions {
  /** In [0, 1]: loss = (1 - e) * nll + e * mean over classes of -logp (default 0). */
  labelSmoothing?: number;
}

function toLabels(op: string, labels: unknown, N: number): Int32Array {
  let out: Int32Array;
  if (labels instanceof Int32Array) out = labels;
  else if (labels instanceof Tensor || Array.isArray(labels)) {
    const values: ArrayLike<unknown> = labels instanceof Tensor ? labels.data : labels;
    out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
        throw invalidRange(op, `labels[${i}]`, 'an integer class index', v);
      out[i] = v;
    }
  } else throw invalidType(op, 'labels', 'an Int32Array, an array of integers or a Tensor', labels);
  if (labels instanceof Tensor && labels.ndim !== 1)
    throw invalidRange(op, 'labels', `a 1-D tensor of ${N} labels`, `shape [${labels.shape}]`);
  if (out.length !== N)
    throw invalidRange(op, 'labels', `${N} labels (one per row)`, `${out.length} labels`);
  return out;
}

interface ParsedClassArgs {
  N: number;
  C: number;
  labels: Int32Array;
  weight: Float32Array | null;
  ignoreIndex: number;
  reduction: Reduction;
}

function parseClassArgs(
  op: string,
  input: Tensor,
  labels: unknown,
  options: ClassLossOptions,
): ParsedClassArgs {
  requireTensor(op, 'input', input);
  if (input.ndim !== 2)
    throw invalidRange(op, 'input', 'a 2-D tensor [N, C] (classes last)', `shape [${input.shape}]`);
  const [N, C] = input.shape;
  if (typeof options !== 'object' || options === null)
    throw invalidType(op, 'options', 'an object', options);
  let weight: Float32Array | null = null;
  if (options.weight !== undefined && options.weight !== null) {
    requireTensor(op, 'weight', options.weight);
    if (options.weight.ndim !== 1 || options.weight.shape[0] !== C)
      throw invalidRange(
        op,
        'weight',
        `shape [${C}] (one per class)`,
        `shape [${options.weight.shape}]`,
      );
    weight = options.weight.data;
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (typeof ignoreIndex !== 'number')
    throw invalidType(op, 'ignoreIndex', 'an integer', ignoreIndex);
  checkInt(op, 'ignoreIndex', ignoreIndex, -(2 ** 31));
  if (ignoreIndex >= 2 ** 31)
    throw invalidRange(op, 'ignoreIndex', 'a 32-bit integer', ignoreIndex);
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none')
    throw invalidRange(op, 'reduction', "'mean', 'sum' or 'none'", reduction);
  const parsedLabels = toLabels(op, labels, N);
  for (let i = 0; i < N; i++) {
    const t = parsedLabels[i];
    if (t !== ignoreIndex && (t < 0 || t >= C))
      throw invalidRange(
        op,
        `labels[${i}]`,
        `a class index in [0, ${C}) or ignoreIndex ${ignoreIndex}`,
        t,
      );
  }
  return { N, C, labels: parsedLabels, weight, ignoreIndex, reduction };
}

function checkSmoothing(op: string, value: unknown): number {
  checkNumber(op, 'labelSmoothing', value);
  if (!((value as number) >= 0 && (value as number) <= 1))
    throw invalidRange(op, 'labelSmoothing', 'a number in [0, 1]', value);
  return value as number;
}

function reducedShape(reduction: Reduction, N: number): number[] {
  return reduction === 'none' ? [N] : [];
}

function checkGradOut(op: string, gradOut: unknown, reduction: Reduction, N: number): Tensor {
  const g = requireTensor(op, 'gradOut', gradOut);
  const expected = reduction === 'none' ? N : 1;
  if (g.size !== expected)
    throw invalidRange(
      op,
      'gradOut',
      reduction === 'none' ? `shape [${N}]` : 'one element',
      `shape [${g.shape}]`,
    );
  return g;
}

/** Cross-entropy from logits [N, C] and integer labels [N], as torch.nn.functional.cross_entropy. */
export function crossEntropy(
  logits: Tensor,
  labels: Labels,
  options: CrossEntropyOptions = {},
): Tensor {
  const op = 'crossEntropy';
  const a = parseClassArgs(op, logits, labels, options);
  const eps = checkSmoothing(op, options.labelSmoothing ?? 0);
  const out = zeros(reducedShape(a.reduction, a.N));
  lossNative.crossEntropyForward(
    logits.data,
    a.labels,
    a.N,
    a.C,
    a.weight,
    a.ignoreIndex,
    eps,
    a.reduction,
    out.data,
  );
  return out;
}

/** Gradient of crossEntropy w.r.t. the logits, given the gradient of the loss (gradOut). */
export function crossEntropyBackward(
  logits: Tensor,
  labels: Labels,
  gradOut: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const op = 'crossEntropyBackward';
  const a = parseClassArgs(op, logits, labels, options);
  const eps = checkSmoothing(op, options.labelSmoothing ?? 0);
  const g = checkGradOut(op, gradOut, a.reduction, a.N);
  const dx = zeros(logits.shape);
  lossNative.crossEntropyBackward(
    logits.data,
    a.labels,
    a.N,
    a.C,
    a.weight,
    a.ignoreIndex,
    eps,
    a.reduction,
    g.data,
    dx.data,
  );
  return dx;
}

/** Negative log-likelihood from log-probabilities [N, C], as torch.nn.functional.nll_loss. */
export function nllLoss(logProbs: Tensor, labels: Labels, options: ClassLossOptions = {}): Tensor {
  const a = parseClassArgs('nllLoss', logProbs, labels, options);
  const out = zeros(reducedShape(a.reduction, a.N));
  lossNative.nllLossForward(
    logProbs.data,
    a.labels,
    a.N,
    a.C,
    a.weight,
    a.ignoreIndex,
    a.reduction,
    out.data,
  );
  return out;
}

/** Gradient of nllLoss w.r.t. the log-probabilities. */
export function nllLossBackward(
  logProbs: Tensor,
  labels: Labels,
  gradOut: Tensor,
  options: ClassLossOptions = {},
): Tensor {
  const op = 'nllLossBackward';
  const a = parseClassArgs(op, logProbs, labels, options);
  const g = checkGradOut(op, gradOut, a.reduction, a.N);
  const dx = zeros(logProbs.shape);
  lossNative.nllLossBackward(
    a.labels,
    a.N,
    a.C,
    a.weight,
    a.ignoreIndex,
    a.reduction,
    g.data,
    dx.data,
  );
  return dx;
}

function mseArgs(op: string, input: unknown, target: unknown, reduction: unknown): Reduction {
  const x = requireTensor(op, 'input', input);
  const t = requireTensor(op, 'target', target);
  if (t.shape.length !== x.shape.length || t.shape.some((d, i) => d !== x.shape[i]))
    throw invalidRange(op, 'target', `shape [${x.shape}] like input`, `shape [${t.shape}]`);
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none')
    throw invalidRange(op, 'reduction', "'mean', 'sum' or 'none'", reduction);
  return reduction;
}

/** Mean squared error, as torch.nn.functional.mse_loss ('none' keeps input's shape). */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction } = {},
): Tensor {
  const reduction = mseArgs('mseLoss', input, target, options.reduction ?? 'mean');
  const out = zeros(reduction === 'none' ? input.shape : []);
  lossNative.mseLossForward(input.data, target.data, input.size, reduction, out.data);
  return out;
}

/** Gradient of mseLoss w.r.t. input. */
export function mseLossBackward(
  input: Tensor,
  target: Tensor,
  gradOut: Tensor,
  options: { reduction?: Reduction } = {},
): Tensor {
  const op = 'mseLossBackward';
  const reduction = mseArgs(op, input, target, options.reduction ?? 'mean');
  const g = checkGradOut(op, gradOut, reduction, input.size);
  const dx = zeros(input.shape);
  lossNative.mseLossBackward(input.data, target.data, input.size, reduction, g.data, dx.data);
  return dx;
}
