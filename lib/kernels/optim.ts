// Fused optimizer updates, in place on a parameter Tensor, its gradient and its state buffers:
// one native pass per parameter. Rules are PyTorch 1.13's torch.optim.SGD / Adam / AdamW;
// `step` counts this update (1 for the first, like state['step'] after += 1).
import { checkInt, checkNumber, invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Tensor } from '../tensor';

export interface OptimNative {
  sgdStep(
    param: Float32Array,
    grad: Float32Array,
    momentumBuffer: Float32Array | null,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    maximize: boolean,
    step: number,
  ): void;
  sgdStepReference: OptimNative['sgdStep'];
  adamStep(
    param: Float32Array,
    grad: Float32Array,
    expAvg: Float32Array,
    expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array | null,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    amsgrad: boolean,
    maximize: boolean,
    decoupled: boolean,
    step: number,
  ): void;
  adamStepReference: OptimNative['adamStep'];
  rmspropStep(
    param: Float32Array,
    grad: Float32Array,
    squareAvg: Float32Array,
    gradAvg: Float32Array | null,
    momentumBuffer: Float32Array | null,
    n: number,
    lr: number,
    alpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
    centered: boolean,
    maximize: boolean,
  ): void;
  rmspropStepReference: OptimNative['rmspropStep'];
}

export const optimNative = native as unknown as OptimNative;

function requireLike(op: string, name: string, value: unknown, param: Tensor): Tensor {
  if (!(value instanceof Tensor)) throw invalidType(op, name, 'a Tensor', value);
  value.assertAlive(op);
  if (
    value.size !== param.size ||
    value.shape.some((d, i) => d !== param.shape[i]) ||
    value.ndim !== param.ndim
  )
    throw invalidRange(op, name, `shape [${param.shape}] like param`, `shape [${value.shape}]`);
  return value;
}

function nonNegative(op: string, name: string, value: unknown): number {
  checkNumber(op, name, value);
  if (!((value as number) >= 0) || !Number.isFinite(value))
    throw invalidRange(op, name, 'a finite number >= 0', value);
  return value as number;
}

function unitInterval(op: string, name: string, value: unknown): number {
  checkNumber(op, name, value);
  if (!((value as number) >= 0 && (value as number) < 1))
    throw invalidRange(op, name, 'a number in [0, 1)', value);
  return value as number;
}

function checkParam(op: string, param: unknown): Tensor {
  if (!(param instanceof Tensor)) throw invalidType(op, 'param', 'a Tensor', param);
  param.assertAlive(op);
  return param;
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

/**
 * One SGD step on `param` in place. momentumBuffer (same shape) is required when momentum != 0;
 * on step 1 it is overwritten with the (decayed) gradient, as PyTorch initialises it.
 */
export function sgdStep(
  param: Tensor,
  grad: Tensor,
  momentumBuffer: Tensor | null,
  options: SgdOptions,
  step: number,
): void {
  const op = 'sgdStep';
  checkParam(op, param);
  requireLike(op, 'grad', grad, param);
  const lr = nonNegative(op, 'lr', options.lr);
  const momentum = nonNegative(op, 'momentum', options.momentum ?? 0);
  const dampening = checkNumber(op, 'dampening', options.dampening ?? 0);
  const weightDecay = nonNegative(op, 'weightDecay', options.weightDecay ?? 0);
  const nesterov = options.nesterov ?? false;
  const maximize = options.maximize ?? false;
  if (nesterov && (momentum <= 0 || dampening !== 0))
    throw invalidRange(
      op,
      'nesterov',
      'momentum > 0 and dampening 0 (Nesterov momentum)',
      `momentum ${momentum}, dampening ${dampening}`,
    );
  checkInt(op, 'step', step, 1);
  let buffer: Float32Array | null = null;
  if (momentum !== 0) buffer = requireLike(op, 'momentumBuffer', momentumBuffer, param).data;
  optimNative.sgdStep(
    param.data,
    grad.data,
    buffer,
    param.size,
    lr,
    momentum,
    dampening,
    weightDecay,
    nesterov,
    maximize,
    step,
  );
}

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

export interface AdamState {
  expAvg: Tensor;
  expAvgSq: Tensor;
  /** Needed when amsgrad. */
  maxExpAvgSq?: Tensor | null;
}

function adam(
  op: string,
  decoupled: boolean,
  param: Tensor,
  grad: Tensor,
  state: AdamState,
  options: AdamOptions,
  step: number,
): void {
  checkParam(op, param);
  requireLike(op, 'grad', grad, param);
  if (typeof state !== 'object' || state === null)
    throw invalidType(op, 'state', 'an object', state);
  const expAvg = requireLike(op, 'state.expAvg', state.expAvg, param);
  const expAvgSq = requireLike(op, 'state.expAvgSq', state.expAvgSq, param);
  const lr = nonNegative(op, 'lr', options.lr ?? 1e-3);
  const betas = options.betas ?? [0.9, 0.999];
  const beta1 = unitInterval(op, 'betas[0]', betas[0]);
  const beta2 = unitInterval(op, 'betas[1]', betas[1]);
  const eps = nonNegative(op, 'eps', options.eps ?? 1e-8);
  const weightDecay = nonNegative(op, 'weightDecay', options.weightDecay ?? (decoupled ? 1e-2 : 0));
  const amsgrad = options.amsgrad ?? false;
  const maximize = options.maximize ?? false;
  checkInt(op, 'step', step, 1);
  const maxExpAvgSq = amsgrad
    ? requireLike(op, 'state.maxExpAvgSq', state.maxExpAvgSq, param).data
    : null;
  optimNative.adamStep(
    param.data,
    grad.data,
    expAvg.data,
    expAvgSq.data,
    maxExpAvgSq,
    param.size,
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    amsgrad,
    maximize,
    decoupled,
    step,
  );
}

/** One Adam step in place (weightDecay adds wd * param to the gradient; default 0). */
export function adamStep(
  param: Tensor,
  grad: Tensor,
  state: AdamState,
  options: AdamOptions,
  step: number,
): void {
  adam('adamStep', false, param, grad, state, options, step);
}

/** One AdamW step in place (decoupled decay param *= 1 - lr * wd; default wd 0.01). */
export function adamwStep(
  param: Tensor,
  grad: Tensor,
  state: AdamState,
  options: AdamOptions,
  step: number,
): void {
  adam('adamwStep', true, param, grad, state, options, step);
}

export interface RmspropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

export interface RmspropState {
  squareAvg: Tensor;
  /** Needed when centered. */
  gradAvg?: Tensor | null;
  /** Needed when momentum > 0. */
  momentumBuffer?: Tensor | null;
}

/** One RMSprop step in place (torch.optim.RMSprop's rule), one fused native pass. */
export function rmspropStep(
  param: Tensor,
  grad: Tensor,
  state: RmspropState,
  options: RmspropOptions = {},
  reference = false,
): void {
  const op = 'rmspropStep';
  checkParam(op, param);
  requireLike(op, 'grad', grad, param);
  if (typeof state !== 'object' || state === null)
    throw invalidType(op, 'state', 'an object', state);
  const squareAvg = requireLike(op, 'state.squareAvg', state.squareAvg, param);
  const lr = nonNegative(op, 'lr', options.lr ?? 1e-2);
  const alpha = nonNegative(op, 'alpha', options.alpha ?? 0.99);
  const eps = nonNegative(op, 'eps', options.eps ?? 1e-8);
  const weightDecay = nonNegative(op, 'weightDecay', options.weightDecay ?? 0);
  const momentum = nonNegative(op, 'momentum', options.momentum ?? 0);
  const centered = options.centered ?? false;
  const maximize = options.maximize ?? false;
  const gradAvg = centered ? requireLike(op, 'state.gradAvg', state.gradAvg, param).data : null;
  const buffer =
    momentum > 0 ? requireLike(op, 'state.momentumBuffer', state.momentumBuffer, param).data : null;
  (reference ? optimNative.rmspropStepReference : optimNative.rmspropStep)(
    param.data,
    grad.data,
    squareAvg.data,
    gradAvg,
    buffer,
    param.size,
    lr,
    alpha,
    eps,
    weightDecay,
    momentum,
    centered,
    maximize,
  );
}
