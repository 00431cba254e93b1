// Learning-rate schedulers, part 1: what they act on, the base class with PyTorch 1.13's
// stepping protocol (torch.optim.lr_scheduler._LRScheduler) and the argument and state checks
// the schedulers share. Schedulers never touch tensors: they read and write `lr` (and, for
// OneCycleLR, `momentum` or `betas[0]`) on the optimizer's param groups.
import { invalidRange, invalidType } from '../check';

/** A param group as the optimizers expose it (PyTorch's optimizer.param_groups[i]). */
export interface ParamGroup {
  lr: number;
  initialLr?: number;
  [key: string]: unknown;
}

/** Anything with param groups: every convkit optimizer. */
export interface ParamGroupOwner {
  paramGroups: ParamGroup[];
}

/** A plain JSON value: what stateDict() returns and loadStateDict() accepts. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type SchedulerState = { [key: string]: JsonValue };

// ---------------------------------------------------------------------------------------------
// Argument checks

export function checkOptimizer(op: string, optimizer: unknown): ParamGroupOwner {
  const groups =
    typeof optimizer === 'object' && optimizer !== null
      ? (optimizer as { paramGroups?: unknown }).paramGroups
      : undefined;
  if (!Array.isArray(groups))
    throw invalidType(op, 'optimizer', 'an optimizer (an object with paramGroups)', optimizer);
  groups.forEach((group: unknown, i) => {
    if (typeof group !== 'object' || group === null)
      throw invalidType(op, `optimizer.paramGroups[${i}]`, 'an object', group);
    const lr = (group as { lr?: unknown }).lr;
    if (typeof lr !== 'number') throw invalidType(op, `paramGroups[${i}].lr`, 'a number', lr);
  });
  return optimizer as ParamGroupOwner;
}

/** The options object itself, rejecting keys the scheduler does not know (typos). */
export function checkOptions(
  op: string,
  options: unknown,
  known: readonly string[],
  required = false,
): Record<string, unknown> {
  if (options === undefined && !required) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw invalidType(op, 'options', 'an options object', options);
  for (const key of Object.keys(options))
    if (!known.includes(key))
      throw new TypeError(
        `convkit.${op}: expected options among ${known.join(', ')} but received unknown option '${key}'`,
      );
  return options as Record<string, unknown>;
}

interface NumberLimits {
  /** Inclusive lower bound, or exclusive when `above` is set. */
  min?: number;
  above?: number;
  max?: number;
  below?: number;
}

function limitsText(limits: NumberLimits): string {
  const parts: string[] = [];
  if (limits.above !== undefined) parts.push(`> ${limits.above}`);
  if (limits.min !== undefined) parts.push(`>= ${limits.min}`);
  if (limits.below !== undefined) parts.push(`< ${limits.below}`);
  if (limits.max !== undefined) parts.push(`<= ${limits.max}`);
  return parts.length === 0 ? 'a finite number' : `a finite number ${parts.join(' and ')}`;
}

/** A finite number within the limits; `fallback` when undefined (if one is given). */
export function checkReal(
  op: string,
  name: string,
  value: unknown,
  limits: NumberLimits = {},
  fallback?: number,
): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number') throw invalidType(op, name, 'a number', value);
  const ok =
    Number.isFinite(value) &&
    (limits.min === undefined || value >= limits.min) &&
    (limits.above === undefined || value > limits.above) &&
    (limits.max === undefined || value <= limits.max) &&
    (limits.below === undefined || value < limits.below);
  if (!ok) throw invalidRange(op, name, limitsText(limits), value);
  return value;
}

/** A whole number >= min; `fallback` when undefined (if one is given). */
export function checkInteger(
  op: string,
  name: string,
  value: unknown,
  min: number,
  fallback?: number,
): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number') throw invalidType(op, name, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > Number.MAX_SAFE_INTEGER)
    throw invalidRange(op, name, `an integer >= ${min}`, value);
  return value;
}

export function checkBoolean(op: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(op, name, 'a boolean', value);
  return value;
}

export function checkChoice<T extends string>(
  op: string,
  name: string,
  value: unknown,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  const expected = `one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  if (typeof value !== 'string') throw invalidType(op, name, expected, value);
  if (!choices.includes(value as T)) throw invalidRange(op, name, expected, value);
  return value as T;
}

/** A number for every group, or one number for all of them (PyTorch's `_format_param`). */
export function checkPerGroup(
  op: string,
  name: string,
  value: unknown,
  groups: number,
  limits: NumberLimits,
  fallback?: number,
): number[] {
  if (Array.isArray(value)) {
    if (value.length !== groups)
      throw invalidRange(op, name, `${groups} values (one per param group)`, value);
    return value.map((v: unknown, i) => checkReal(op, `${name}[${i}]`, v, limits));
  }
  const one = checkReal(op, name, value, limits, fallback);
  return new Array<number>(groups).fill(one);
}

/** A list of integers >= min, each >= the one before (strictly when `strict`). */
export function checkMilestones(
  op: string,
  name: string,
  value: unknown,
  min: number,
  strict: boolean,
): number[] {
  const what = `a${strict ? 'n increasing' : ' non-decreasing'} list of integers >= ${min}`;
  if (!Array.isArray(value)) throw invalidType(op, name, what, value);
  value.forEach((v: unknown, i) => checkInteger(op, `${name}[${i}]`, v, min));
  for (let i = 1; i < value.length; i++)
    if (strict ? value[i] <= value[i - 1] : value[i] < value[i - 1])
      throw invalidRange(op, name, what, value);
  return [...(value as number[])];
}

// ---------------------------------------------------------------------------------------------
// State checks (loadStateDict)

export function checkState(op: string, state: unknown): Record<string, unknown> {
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    throw invalidType(op, 'state', 'a state object from stateDict()', state);
  return state as Record<string, unknown>;
}

/** A list of `length` finite numbers. */
export function checkNumbers(op: string, name: string, value: unknown, length: number): number[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'number'))
    throw invalidType(op, name, 'a list of numbers', value);
  if (value.length !== length)
    throw invalidRange(op, name, `${length} numbers (one per param group)`, value);
  return [...(value as number[])];
}

/** Numbers that JSON cannot hold (±Infinity, NaN) travel as strings. */
export function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

export function decodeNumber(op: string, name: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity' || value === '-Infinity' || value === 'NaN') return Number(value);
  throw invalidType(op, name, 'a number', value);
}

// ---------------------------------------------------------------------------------------------
// Base class

/**
 * Base of the epoch-indexed schedulers (PyTorch's `_LRScheduler`). Construction sets
 * `initialLr` on groups that lack it and takes the initial step (lastEpoch -1 → 0), which for
 * most schedules leaves lr unchanged. Subclasses finish their own fields, then call `start()`.
 */
export abstract class LRScheduler {
  readonly optimizer: ParamGroupOwner;
  /** Steps taken since the start of the schedule (0 right after construction). */
  lastEpoch = -1;
  protected baseLrs: number[] = [];
  protected stepCount = 0;
  protected lastLr: number[] = [];

  protected constructor(
    protected readonly op: string,
    optimizer: unknown,
  ) {
    this.optimizer = checkOptimizer(op, optimizer);
  }

  protected start(): void {
    for (const group of this.optimizer.paramGroups)
      if (group.initialLr === undefined) group.initialLr = group.lr;
    this.baseLrs = this.optimizer.paramGroups.map((group) => group.initialLr as number);
    this.initialStep();
  }

  /** @internal Resets the step count and takes the first step (used by SequentialLR). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances the schedule by one step and writes the new lr into every param group. */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    let values: number[];
    try {
      values = this.getLr();
    } catch (error) {
      // OneCycleLR refuses to step past its end; leave the schedule where it was.
      this.stepCount -= 1;
      this.lastEpoch -= 1;
      throw error;
    }
    this.apply(values);
  }

  /**
   * @internal PyTorch's deprecated `step(epoch)`: jumps to `epoch` using the closed form where
   * the schedule has one. SequentialLR uses it (with 0) when it switches schedulers.
   */
  stepAt(epoch: number): void {
    this.stepCount += 1;
    this.lastEpoch = epoch;
    this.apply(this.closedFormLr() ?? this.getLr());
  }

  /** The lr of every param group as this scheduler last set it. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state as a plain JSON-able object (not the optimizer's). */
  stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLr],
      ...this.hyperparameters(),
    };
  }

  /**
   * Restores a state from stateDict(). Like PyTorch, the param groups' lr (and initialLr) are
   * the optimizer's state: restore the optimizer too when resuming.
   */
  loadStateDict(state: unknown): void {
    const op = `${this.op}.loadStateDict`;
    const s = checkState(op, state);
    const groups = this.optimizer.paramGroups.length;
    const lastEpoch = checkInteger(op, 'state.lastEpoch', s.lastEpoch, -1);
    const stepCount = checkInteger(op, 'state.stepCount', s.stepCount, 0);
    const baseLrs = checkNumbers(op, 'state.baseLrs', s.baseLrs, groups);
    const lastLr = checkNumbers(op, 'state.lastLr', s.lastLr, groups);
    this.loadHyperparameters(op, s);
    this.lastEpoch = lastEpoch;
    this.stepCount = stepCount;
    this.baseLrs = baseLrs;
    this.lastLr = lastLr;
  }

  /** The chainable (recursive) form: new lrs from the groups' current lrs. */
  protected abstract getLr(): number[];

  /** The closed form at `lastEpoch`, for schedules that have one. */
  protected closedFormLr(): number[] | undefined {
    return undefined;
  }

  protected abstract hyperparameters(): SchedulerState;

  /** Validates and sets the hyperparameters stored by hyperparameters(). */
  protected abstract loadHyperparameters(op: string, state: Record<string, unknown>): void;

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }

  private apply(values: number[]): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = values[i];
    });
    this.lastLr = this.groupLrs();
  }
}
