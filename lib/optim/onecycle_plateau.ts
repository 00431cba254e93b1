// Learning-rate schedulers, part 2: OneCycleLR and ReduceLROnPlateau, with PyTorch 1.13's
// semantics (torch.optim.lr_scheduler). Re-exported by ./schedulers.
import { invalidRange, invalidType } from '../check';
import {
  LRScheduler,
  ParamGroup,
  ParamGroupOwner,
  SchedulerState,
  checkBoolean,
  checkChoice,
  checkInteger,
  checkNumbers,
  checkOptimizer,
  checkOptions,
  checkPerGroup,
  checkReal,
  checkState,
  decodeNumber,
  encodeNumber,
} from './scheduler_base';

// ---------------------------------------------------------------------------------------------
// OneCycleLR

export interface OneCycleLROptions {
  /** Peak lr, one for all groups or one per group. */
  maxLr: number | number[];
  /** Length of the cycle in steps; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing lr. Default 0.3. */
  pctStart?: number;
  /** Default 'cos'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD) or beta1 (Adam-like) inversely to lr. Default true. */
  cycleMomentum?: boolean;
  /** Momentum at peak lr. Default 0.85. */
  baseMomentum?: number | number[];
  /** Momentum at the start and end. Default 0.95. */
  maxMomentum?: number | number[];
  /** Initial lr = maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Up, down to the initial lr, then annihilate (the paper's schedule). Default false. */
  threePhase?: boolean;
}

type CycleKey = 'initialLr' | 'maxLr' | 'minLr' | 'maxMomentum' | 'baseMomentum';

interface Phase {
  endStep: number;
  startLr: CycleKey;
  endLr: CycleKey;
  startMomentum: CycleKey;
  endMomentum: CycleKey;
}

function onecyclePhases(totalSteps: number, pctStart: number, threePhase: boolean): Phase[] {
  const up: Phase = {
    endStep: pctStart * totalSteps - 1,
    startLr: 'initialLr',
    endLr: 'maxLr',
    startMomentum: 'maxMomentum',
    endMomentum: 'baseMomentum',
  };
  if (!threePhase)
    return [
      up,
      {
        endStep: totalSteps - 1,
        startLr: 'maxLr',
        endLr: 'minLr',
        startMomentum: 'baseMomentum',
        endMomentum: 'maxMomentum',
      },
    ];
  return [
    up,
    {
      endStep: 2 * pctStart * totalSteps - 2,
      startLr: 'maxLr',
      endLr: 'initialLr',
      startMomentum: 'baseMomentum',
      endMomentum: 'maxMomentum',
    },
    {
      endStep: totalSteps - 1,
      startLr: 'initialLr',
      endLr: 'minLr',
      startMomentum: 'maxMomentum',
      endMomentum: 'maxMomentum',
    },
  ];
}

/**
 * The 1cycle policy: lr from maxLr/divFactor up to maxLr and down to a tiny minimum, momentum
 * the other way round. Step it after every batch. Like PyTorch, it stores initialLr, maxLr,
 * minLr (and maxMomentum, baseMomentum) on the param groups and sets momentum or betas[0].
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  /** Whether momentum is cycled through betas[0] (Adam-like) rather than momentum. */
  useBeta1: boolean;
  threePhase: boolean;
  private phases: Phase[];

  constructor(optimizer: ParamGroupOwner, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer);
    const op = this.op;
    const o = checkOptions(op, options, ONECYCLE_OPTIONS, true);
    if (o.totalSteps !== undefined) {
      this.totalSteps = checkInteger(op, 'totalSteps', o.totalSteps, 1);
    } else if (o.epochs === undefined && o.stepsPerEpoch === undefined) {
      throw invalidType(op, 'totalSteps (or epochs and stepsPerEpoch)', 'an integer', undefined);
    } else {
      const epochs = checkInteger(op, 'epochs', o.epochs, 1);
      this.totalSteps = epochs * checkInteger(op, 'stepsPerEpoch', o.stepsPerEpoch, 1);
    }
    this.pctStart = checkReal(op, 'pctStart', o.pctStart, { min: 0, max: 1 }, 0.3);
    this.threePhase = checkBoolean(op, 'threePhase', o.threePhase, false);
    this.annealStrategy = checkChoice(op, 'annealStrategy', o.annealStrategy, ANNEAL, 'cos');
    this.phases = onecyclePhases(this.totalSteps, this.pctStart, this.threePhase);

    const groups = this.optimizer.paramGroups;
    const positive = { above: 0 };
    const maxLrs = checkPerGroup(op, 'maxLr', o.maxLr, groups.length, positive);
    const divFactor = checkReal(op, 'divFactor', o.divFactor, positive, 25);
    const finalDivFactor = checkReal(op, 'finalDivFactor', o.finalDivFactor, positive, 1e4);
    this.cycleMomentum = checkBoolean(op, 'cycleMomentum', o.cycleMomentum, true);
    this.useBeta1 = false;
    let maxMomenta: number[] = [];
    let baseMomenta: number[] = [];
    if (this.cycleMomentum) {
      this.useBeta1 = groups.every((g) => Array.isArray(g.betas));
      if (!this.useBeta1 && !groups.every((g) => typeof g.momentum === 'number'))
        throw new TypeError(
          `convkit.OneCycleLR: expected param groups with momentum or betas for optimizer ` +
            `(or cycleMomentum: false) but received a group without either`,
        );
      const momentum = { min: 0, max: 1 };
      maxMomenta = checkPerGroup(op, 'maxMomentum', o.maxMomentum, groups.length, momentum, 0.95);
      baseMomenta = checkPerGroup(
        op,
        'baseMomentum',
        o.baseMomentum,
        groups.length,
        momentum,
        0.85,
      );
    }

    groups.forEach((group, i) => {
      group.initialLr = maxLrs[i] / divFactor;
      group.maxLr = maxLrs[i];
      group.minLr = group.initialLr / finalDivFactor;
      if (this.cycleMomentum) {
        setMomentum(group, this.useBeta1, maxMomenta[i]);
        group.maxMomentum = maxMomenta[i];
        group.baseMomentum = baseMomenta[i];
      }
    });
    this.start();
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps)
      throw invalidRange(
        `${this.op}.step`,
        'the step',
        `at most totalSteps = ${this.totalSteps} steps after construction`,
        stepNum,
      );
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    return this.optimizer.paramGroups.map((group) => {
      let startStep = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i];
        const endStep = phase.endStep;
        if (stepNum <= endStep || i === this.phases.length - 1) {
          const pct = (stepNum - startStep) / (endStep - startStep);
          const lr = anneal(cycleValue(group, phase.startLr), cycleValue(group, phase.endLr), pct);
          if (this.cycleMomentum) {
            const m = anneal(
              cycleValue(group, phase.startMomentum),
              cycleValue(group, phase.endMomentum),
              pct,
            );
            setMomentum(group, this.useBeta1, m);
          }
          return lr;
        }
        startStep = phase.endStep;
      }
      /* istanbul ignore next: the last phase always matches */
      throw new Error('convkit.OneCycleLR: no phase matched');
    });
  }

  protected hyperparameters(): SchedulerState {
    return {
      totalSteps: this.totalSteps,
      pctStart: this.pctStart,
      annealStrategy: this.annealStrategy,
      cycleMomentum: this.cycleMomentum,
      useBeta1: this.useBeta1,
      threePhase: this.threePhase,
    };
  }

  protected loadHyperparameters(op: string, s: Record<string, unknown>): void {
    const totalSteps = checkInteger(op, 'state.totalSteps', s.totalSteps, 1);
    const pctStart = checkReal(op, 'state.pctStart', s.pctStart, { min: 0, max: 1 });
    const threePhase = checkBoolean(op, 'state.threePhase', s.threePhase, false);
    this.annealStrategy = checkChoice(op, 'state.annealStrategy', s.annealStrategy, ANNEAL, 'cos');
    this.cycleMomentum = checkBoolean(op, 'state.cycleMomentum', s.cycleMomentum, true);
    this.useBeta1 = checkBoolean(op, 'state.useBeta1', s.useBeta1, false);
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.threePhase = threePhase;
    this.phases = onecyclePhases(totalSteps, pctStart, threePhase);
  }
}

const ONECYCLE_OPTIONS = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
] as const;
const ANNEAL = ['cos', 'linear'] as const;

function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2.0) * cosOut;
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

function cycleValue(group: ParamGroup, key: CycleKey): number {
  const value = group[key];
  if (typeof value !== 'number')
    throw invalidType('OneCycleLR.step', `paramGroups[].${key}`, 'a number', value);
  return value;
}

function setMomentum(group: ParamGroup, useBeta1: boolean, value: number): void {
  if (useBeta1) group.betas = [value, ...(group.betas as number[]).slice(1)];
  else group.momentum = value;
}

// ---------------------------------------------------------------------------------------------
// ReduceLROnPlateau

export interface ReduceLROnPlateauOptions {
  /** 'min': reduce when the metric stops decreasing; 'max': stops increasing. Default 'min'. */
  mode?: 'min' | 'max';
  /** new lr = lr * factor, in [0, 1). Default 0.1. */
  factor?: number;
  /** Steps without improvement tolerated before reducing. Default 10. */
  patience?: number;
  /** Improvement needed to count, relative or absolute (thresholdMode). Default 1e-4. */
  threshold?: number;
  /** Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting bad steps again. Default 0. */
  cooldown?: number;
  /** Lower bound on lr, one for all groups or one per group. Default 0. */
  minLr?: number | number[];
  /** Reductions smaller than eps are skipped. Default 1e-8. */
  eps?: number;
}

const PLATEAU_OPTIONS = [
  'mode',
  'factor',
  'patience',
  'threshold',
  'thresholdMode',
  'cooldown',
  'minLr',
  'eps',
] as const;

/** Reduces lr by `factor` when a metric has stopped improving for `patience` steps. */
export class ReduceLROnPlateau {
  readonly optimizer: ParamGroupOwner;
  mode: 'min' | 'max' = 'min';
  factor = 0.1;
  patience = 10;
  threshold = 1e-4;
  thresholdMode: 'rel' | 'abs' = 'rel';
  cooldown = 0;
  minLrs: number[] = [];
  eps = 1e-8;
  /** Best metric so far (±Infinity before the first step). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: ParamGroupOwner, options?: ReduceLROnPlateauOptions) {
    const op = 'ReduceLROnPlateau';
    this.optimizer = checkOptimizer(op, optimizer);
    this.setHyperparameters(op, checkOptions(op, options, PLATEAU_OPTIONS), '', true);
    this.best = this.modeWorse();
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** Feeds the metric of the step just finished (a loss in 'min' mode, say). */
  step(metric: number): void {
    if (typeof metric !== 'number')
      throw invalidType('ReduceLROnPlateau.step', 'metric', 'a number', metric);
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // ignore any bad epochs in cooldown
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return {
      mode: this.mode,
      factor: this.factor,
      patience: this.patience,
      threshold: this.threshold,
      thresholdMode: this.thresholdMode,
      cooldown: this.cooldown,
      minLr: [...this.minLrs],
      eps: this.eps,
      best: encodeNumber(this.best),
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
    };
  }

  loadStateDict(state: unknown): void {
    const op = 'ReduceLROnPlateau.loadStateDict';
    const s = checkState(op, state);
    const groups = this.optimizer.paramGroups.length;
    const best = decodeNumber(op, 'state.best', s.best);
    const numBadEpochs = checkInteger(op, 'state.numBadEpochs', s.numBadEpochs, 0);
    const cooldownCounter = checkInteger(op, 'state.cooldownCounter', s.cooldownCounter, 0);
    const lastEpoch = checkInteger(op, 'state.lastEpoch', s.lastEpoch, 0);
    const lastLr = checkNumbers(op, 'state.lastLr', s.lastLr, groups);
    const hyper: Record<string, unknown> = {};
    for (const key of PLATEAU_OPTIONS) hyper[key] = s[key];
    this.setHyperparameters(op, hyper, 'state.', false);
    this.best = best;
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
    this.lastEpoch = lastEpoch;
    this.lastLr = lastLr;
  }

  private setHyperparameters(
    op: string,
    o: Record<string, unknown>,
    prefix: string,
    defaults: boolean,
  ): void {
    const d = <T>(value: T): T | undefined => (defaults ? value : undefined);
    const groups = this.optimizer.paramGroups.length;
    const mode = checkChoice(op, `${prefix}mode`, o.mode, ['min', 'max'] as const, 'min');
    const thresholdMode = checkChoice(
      op,
      `${prefix}thresholdMode`,
      o.thresholdMode,
      ['rel', 'abs'] as const,
      'rel',
    );
    const factor = checkReal(op, `${prefix}factor`, o.factor, { min: 0, below: 1 }, d(0.1));
    const patience = checkInteger(op, `${prefix}patience`, o.patience, 0, d(10));
    const threshold = checkReal(op, `${prefix}threshold`, o.threshold, { min: 0 }, d(1e-4));
    const cooldown = checkInteger(op, `${prefix}cooldown`, o.cooldown, 0, d(0));
    const minLrs = checkPerGroup(op, `${prefix}minLr`, o.minLr, groups, { min: 0 }, d(0));
    const eps = checkReal(op, `${prefix}eps`, o.eps, { min: 0 }, d(1e-8));
    Object.assign(this, {
      mode,
      thresholdMode,
      factor,
      patience,
      threshold,
      cooldown,
      minLrs,
      eps,
    });
  }

  private modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') {
      const relEpsilon = 1 - this.threshold;
      return a < best * relEpsilon;
    }
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') {
      const relEpsilon = this.threshold + 1;
      return a > best * relEpsilon;
    }
    return a > best + this.threshold;
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const oldLr = group.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) group.lr = newLr;
    });
  }
}
