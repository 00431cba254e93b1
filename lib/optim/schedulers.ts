// Learning-rate schedulers with PyTorch 1.13's semantics (torch.optim.lr_scheduler), step for
// step: the chainable (recursive) forms, the same order of floating-point operations, the same
// initial step at construction. Tested against sequences recorded from PyTorch
// (test/fixtures/schedulers.json, bench/torch/gen_scheduler_fixture.py).
import { invalidRange, invalidType } from '../check';
import {
  LRScheduler,
  ParamGroupOwner,
  SchedulerState,
  checkInteger,
  checkMilestones,
  checkNumbers,
  checkOptimizer,
  checkOptions,
  checkReal,
  checkState,
} from './scheduler_base';

export { LRScheduler } from './scheduler_base';
export { OneCycleLR, ReduceLROnPlateau } from './onecycle_plateau';
export type { OneCycleLROptions, ReduceLROnPlateauOptions } from './onecycle_plateau';
export type { ParamGroup, ParamGroupOwner, SchedulerState, JsonValue } from './scheduler_base';

// ---------------------------------------------------------------------------------------------
// StepLR

export interface StepLROptions {
  /** Decay every `stepSize` steps. */
  stepSize: number;
  /** Multiplicative decay. Default 0.1. */
  gamma?: number;
}

/** Multiplies lr by `gamma` every `stepSize` steps. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: ParamGroupOwner, options: StepLROptions) {
    super('StepLR', optimizer);
    const o = checkOptions(this.op, options, ['stepSize', 'gamma'], true);
    this.stepSize = checkInteger(this.op, 'stepSize', o.stepSize, 1);
    this.gamma = checkReal(this.op, 'gamma', o.gamma, { above: 0 }, 0.1);
    this.start();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize),
    );
  }

  protected hyperparameters(): SchedulerState {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected loadHyperparameters(op: string, s: Record<string, unknown>): void {
    this.stepSize = checkInteger(op, 'state.stepSize', s.stepSize, 1);
    this.gamma = checkReal(op, 'state.gamma', s.gamma, { above: 0 });
  }
}

// ---------------------------------------------------------------------------------------------
// MultiStepLR

export interface MultiStepLROptions {
  /** Step indices at which lr is multiplied by gamma; non-decreasing (a repeat decays twice). */
  milestones: number[];
  /** Multiplicative decay. Default 0.1. */
  gamma?: number;
}

/** Multiplies lr by `gamma` at each milestone. */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(optimizer: ParamGroupOwner, options: MultiStepLROptions) {
    super('MultiStepLR', optimizer);
    const o = checkOptions(this.op, options, ['milestones', 'gamma'], true);
    this.milestones = checkMilestones(this.op, 'milestones', o.milestones, 0, false);
    this.gamma = checkReal(this.op, 'gamma', o.gamma, { above: 0 }, 0.1);
    this.start();
  }

  protected getLr(): number[] {
    // PyTorch keeps a Counter: a milestone listed twice applies gamma ** 2.
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }

  protected hyperparameters(): SchedulerState {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }

  protected loadHyperparameters(op: string, s: Record<string, unknown>): void {
    this.milestones = checkMilestones(op, 'state.milestones', s.milestones, 0, false);
    this.gamma = checkReal(op, 'state.gamma', s.gamma, { above: 0 });
  }
}

// ---------------------------------------------------------------------------------------------
// ExponentialLR

export interface ExponentialLROptions {
  /** Multiplicative decay per step. */
  gamma: number;
}

/** Multiplies lr by `gamma` every step. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: ParamGroupOwner, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer);
    const o = checkOptions(this.op, options, ['gamma'], true);
    this.gamma = checkReal(this.op, 'gamma', o.gamma, { above: 0 });
    this.start();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }

  protected hyperparameters(): SchedulerState {
    return { gamma: this.gamma };
  }

  protected loadHyperparameters(op: string, s: Record<string, unknown>): void {
    this.gamma = checkReal(op, 'state.gamma', s.gamma, { above: 0 });
  }
}

// ---------------------------------------------------------------------------------------------
// CosineAnnealingLR

export interface CosineAnnealingLROptions {
  /** Steps from the initial lr down to etaMin (half a cosine period). */
  tMax: number;
  /** Lowest lr. Default 0. */
  etaMin?: number;
}

/**
 * Cosine annealing from the initial lr to `etaMin` over `tMax` steps, then back up (SGDR
 * without restarts). PyTorch's recursive form, which can drift from the closed form
 * etaMin + (base - etaMin)(1 + cos(pi t / tMax)) / 2 in the last bits.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: ParamGroupOwner, options: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer);
    const o = checkOptions(this.op, options, ['tMax', 'etaMin'], true);
    this.tMax = checkInteger(this.op, 'tMax', o.tMax, 1);
    this.etaMin = checkReal(this.op, 'etaMin', o.etaMin, { min: 0 }, 0);
    this.start();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, tMax, etaMin } = this;
    if (t === 0) return this.groupLrs();
    if (this.stepCount === 1 && t > 0)
      return this.baseLrs.map(
        (base) => etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / tMax))) / 2,
      );
    if ((t - 1 - tMax) % (2 * tMax) === 0)
      return this.optimizer.paramGroups.map(
        (group, i) => group.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2,
      );
    return this.groupLrs().map(
      (lr) =>
        ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) *
          (lr - etaMin) +
        etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: t, tMax, etaMin } = this;
    return this.baseLrs.map(
      (base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2,
    );
  }

  protected hyperparameters(): SchedulerState {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected loadHyperparameters(op: string, s: Record<string, unknown>): void {
    this.tMax = checkInteger(op, 'state.tMax', s.tMax, 1);
    this.etaMin = checkReal(op, 'state.etaMin', s.etaMin, { min: 0 });
  }
}

// ---------------------------------------------------------------------------------------------
// LinearLR

export interface LinearLROptions {
  /** Factor on the initial lr at step 0, in (0, 1]. Default 1/3. */
  startFactor?: number;
  /** Factor reached at step totalIters, in [0, 1]. Default 1. */
  endFactor?: number;
  /** Steps over which the factor changes linearly. Default 5. */
  totalIters?: number;
}

/** Scales lr by a factor going linearly from startFactor to endFactor (warmup or decay). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: ParamGroupOwner, options?: LinearLROptions) {
    super('LinearLR', optimizer);
    const o = checkOptions(this.op, options, ['startFactor', 'endFactor', 'totalIters']);
    this.startFactor = checkReal(this.op, 'startFactor', o.startFactor, LINEAR_START, 1 / 3);
    this.endFactor = checkReal(this.op, 'endFactor', o.endFactor, LINEAR_END, 1);
    this.totalIters = checkInteger(this.op, 'totalIters', o.totalIters, 1, 5);
    this.start();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    if (t === 0) return this.groupLrs().map((lr) => lr * s);
    if (t > n) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((base) => base * (s + ((e - s) * Math.min(n, t)) / n));
  }

  protected hyperparameters(): SchedulerState {
    return {
      startFactor: this.startFactor,
      endFactor: this.endFactor,
      totalIters: this.totalIters,
    };
  }

  protected loadHyperparameters(op: string, s: Record<string, unknown>): void {
    this.startFactor = checkReal(op, 'state.startFactor', s.startFactor, LINEAR_START);
    this.endFactor = checkReal(op, 'state.endFactor', s.endFactor, LINEAR_END);
    this.totalIters = checkInteger(op, 'state.totalIters', s.totalIters, 1);
  }
}

// A start factor of 0 (allowed by PyTorch 1.13) turns the recursive form into 0 * Infinity.
const LINEAR_START = { above: 0, max: 1 };
const LINEAR_END = { min: 0, max: 1 };

// ---------------------------------------------------------------------------------------------
// SequentialLR and ChainedScheduler

export interface SequentialLROptions {
  /** Schedulers of the same optimizer, run one after the other. */
  schedulers: LRScheduler[];
  /** Steps at which the next scheduler takes over: schedulers.length - 1 increasing integers. */
  milestones: number[];
}

function checkSchedulers(op: string, value: unknown, optimizer?: unknown): LRScheduler[] {
  if (!Array.isArray(value) || value.length === 0)
    throw invalidType(op, 'schedulers', 'a non-empty list of schedulers', value);
  value.forEach((s: unknown, i) => {
    if (!(s instanceof LRScheduler || (op === 'ChainedScheduler' && s instanceof SequentialLR)))
      throw invalidType(op, `schedulers[${i}]`, 'an lr scheduler (not ReduceLROnPlateau)', s);
    if (s.optimizer !== (optimizer ?? value[0].optimizer))
      throw new RangeError(
        `convkit.${op}: expected schedulers of the same optimizer for schedulers[${i}] ` +
          `but received one of another optimizer`,
      );
  });
  return [...(value as LRScheduler[])];
}

/** Runs schedulers one after the other, switching at the milestones (e.g. warmup, cosine). */
export class SequentialLR {
  readonly optimizer: ParamGroupOwner;
  lastEpoch: number;
  milestones: number[];
  private readonly schedulers: LRScheduler[];
  private lastLr: number[];

  constructor(optimizer: ParamGroupOwner, options: SequentialLROptions) {
    const op = 'SequentialLR';
    this.optimizer = checkOptimizer(op, optimizer);
    const o = checkOptions(op, options, ['schedulers', 'milestones'], true);
    this.schedulers = checkSchedulers(op, o.schedulers, optimizer);
    this.milestones = checkMilestones(op, 'milestones', o.milestones, 1, true);
    if (this.milestones.length !== this.schedulers.length - 1)
      throw invalidRange(
        op,
        'milestones',
        `${this.schedulers.length - 1} milestones (one fewer than schedulers)`,
        this.milestones,
      );
    this.lastEpoch = 0;
    // Reset lr to the initial values, undo the schedulers' initial steps, restart the first.
    this.optimizer.paramGroups.forEach((group, i) => {
      if (typeof group.initialLr !== 'number')
        throw invalidType(op, `paramGroups[${i}].initialLr`, 'a number', group.initialLr);
      group.lr = group.initialLr;
    });
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  step(): void {
    this.lastEpoch += 1;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length; // bisect_right
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.stepAt(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      milestones: [...this.milestones],
      lastLr: [...this.lastLr],
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  loadStateDict(state: unknown): void {
    const op = 'SequentialLR.loadStateDict';
    const s = checkState(op, state);
    const lastEpoch = checkInteger(op, 'state.lastEpoch', s.lastEpoch, 0);
    const milestones = checkMilestones(op, 'state.milestones', s.milestones, 1, true);
    if (milestones.length !== this.schedulers.length - 1)
      throw invalidRange(op, 'state.milestones', `${this.schedulers.length - 1} milestones`, s);
    const lastLr = checkNumbers(op, 'state.lastLr', s.lastLr, this.optimizer.paramGroups.length);
    const inner = checkSubStates(op, s.schedulers, this.schedulers.length);
    this.schedulers.forEach((scheduler, i) => scheduler.loadStateDict(inner[i]));
    this.lastEpoch = lastEpoch;
    this.milestones = milestones;
    this.lastLr = lastLr;
  }
}

function checkSubStates(op: string, value: unknown, length: number): unknown[] {
  if (!Array.isArray(value)) throw invalidType(op, 'state.schedulers', 'a list of states', value);
  if (value.length !== length)
    throw invalidRange(op, 'state.schedulers', `${length} scheduler states`, value);
  return value;
}

/** Steps several schedulers of one optimizer together, their factors compounding. */
export class ChainedScheduler {
  readonly optimizer: ParamGroupOwner;
  private readonly schedulers: Array<LRScheduler | SequentialLR>;
  private lastLr: number[];

  constructor(schedulers: Array<LRScheduler | SequentialLR>) {
    this.schedulers = checkSchedulers('ChainedScheduler', schedulers);
    this.optimizer = this.schedulers[0].optimizer;
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return { lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(state: unknown): void {
    const op = 'ChainedScheduler.loadStateDict';
    const s = checkState(op, state);
    const lastLr = checkNumbers(op, 'state.lastLr', s.lastLr, this.optimizer.paramGroups.length);
    const inner = checkSubStates(op, s.schedulers, this.schedulers.length);
    this.schedulers.forEach((scheduler, i) => scheduler.loadStateDict(inner[i]));
    this.lastLr = lastLr;
  }
}
