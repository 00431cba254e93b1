// Learning-rate schedulers against sequences recorded from PyTorch 1.13
// (test/fixtures/schedulers.json, written by bench/torch/gen_scheduler_fixture.py), argument
// checks, and stateDict round trips. Needs neither PyTorch nor the native addon.
import * as fs from 'fs';
import * as path from 'path';
import {
  ChainedScheduler,
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  LRScheduler,
  MultiStepLR,
  OneCycleLR,
  ParamGroup,
  ParamGroupOwner,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
} from '../../lib/optim/schedulers';

// Same contract as expectThrows in ../helpers, which loads the native addon through ../../lib.
function expectThrows(
  call: () => unknown,
  type: 'TypeError' | 'RangeError' | 'Error',
  message: RegExp,
): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined)
    throw new Error(`expected a ${type} matching ${message}, but nothing was thrown`);
  const { name, message: text } = thrown as Error;
  if (name !== type || !message.test(text))
    throw new Error(`expected a ${type} matching ${message}, got ${name}: ${text}`);
}

interface Spec {
  scheduler: string;
  options?: Record<string, unknown>;
}

interface Case extends Spec {
  name: string;
  optimizer: 'SGD' | 'Adam';
  groups: ParamGroup[];
  steps: number;
  metrics?: number[];
  lrs: number[][];
  momentums?: number[][];
  beta2?: number[];
}

const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'schedulers.json'), 'utf8'),
) as { torch: string; cases: Case[] };

type AnyScheduler = LRScheduler | SequentialLR | ChainedScheduler | ReduceLROnPlateau;

function makeOptimizer(groups: ParamGroup[]): ParamGroupOwner {
  return { paramGroups: JSON.parse(JSON.stringify(groups)) as ParamGroup[] };
}

function build(optimizer: ParamGroupOwner, spec: Spec): AnyScheduler {
  const options = { ...(spec.options ?? {}) };
  const inner = () => (options.schedulers as Spec[]).map((s) => build(optimizer, s) as LRScheduler);
  switch (spec.scheduler) {
    case 'StepLR':
      return new StepLR(optimizer, options as never);
    case 'MultiStepLR':
      return new MultiStepLR(optimizer, options as never);
    case 'ExponentialLR':
      return new ExponentialLR(optimizer, options as never);
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(optimizer, options as never);
    case 'LinearLR':
      return new LinearLR(optimizer, options as never);
    case 'OneCycleLR':
      return new OneCycleLR(optimizer, options as never);
    case 'ReduceLROnPlateau':
      return new ReduceLROnPlateau(optimizer, options as never);
    case 'SequentialLR':
      return new SequentialLR(optimizer, {
        schedulers: inner(),
        milestones: options.milestones as number[],
      });
    case 'ChainedScheduler':
      return new ChainedScheduler(inner());
    default:
      throw new Error(`unknown scheduler ${spec.scheduler}`);
  }
}

function stepOnce(scheduler: AnyScheduler, c: Case, k: number): void {
  if (scheduler instanceof ReduceLROnPlateau) scheduler.step((c.metrics as number[])[k]);
  else scheduler.step();
}

function momentumsOf(optimizer: ParamGroupOwner): number[] {
  return optimizer.paramGroups.map((g) =>
    Array.isArray(g.betas) ? (g.betas[0] as number) : (g.momentum as number),
  );
}

/** Runs a case from step `from` (scheduler already there) to the end. */
function runFrom(
  scheduler: AnyScheduler,
  optimizer: ParamGroupOwner,
  c: Case,
  from: number,
): { lrs: number[][]; momentums: number[][] } {
  const lrs = [scheduler.getLastLr()];
  const momentums = [momentumsOf(optimizer)];
  for (let k = from; k < c.steps; k++) {
    stepOnce(scheduler, c, k);
    lrs.push(scheduler.getLastLr());
    momentums.push(momentumsOf(optimizer));
  }
  return { lrs, momentums };
}

/** Largest |a - b| / |b| over nested rows (|a - b| itself where b is 0). */
function maxRelative(actual: number[][], expected: number[][]): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  expected.forEach((row, k) => {
    expect(actual[k].length).toBe(row.length);
    row.forEach((b, g) => {
      const a = actual[k][g];
      const e = Math.abs(a - b) / (b === 0 ? 1 : Math.abs(b));
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    });
  });
  return worst;
}

const TOLERANCE = 1e-12;

describe('schedulers match PyTorch 1.13 sequences', () => {
  it('fixture was generated with PyTorch 1.13', () => {
    expect(fixture.torch).toMatch(/^1\.13/);
    expect(fixture.cases.length).toBeGreaterThan(20);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const optimizer = makeOptimizer(c.groups);
    const scheduler = build(optimizer, c);
    const { lrs, momentums } = runFrom(scheduler, optimizer, c, 0);
    expect(maxRelative(lrs, c.lrs)).toBeLessThanOrEqual(TOLERANCE);
    // the lr in the groups is what getLastLr reports
    expect(optimizer.paramGroups.map((g) => g.lr)).toEqual(lrs[lrs.length - 1]);
    if (c.momentums) expect(maxRelative(momentums, c.momentums)).toBeLessThanOrEqual(TOLERANCE);
    if (c.beta2)
      expect(optimizer.paramGroups.map((g) => (g.betas as number[])[1])).toEqual(c.beta2);
  });
});

describe('stateDict round trips', () => {
  const resumable = fixture.cases.map((c) => [c.name, c] as const);

  it.each(resumable)('%s: resuming mid-schedule equals the uninterrupted run', (_name, c) => {
    const whole = (() => {
      const optimizer = makeOptimizer(c.groups);
      return runFrom(build(optimizer, c), optimizer, c, 0);
    })();
    for (const split of [0, 1, Math.floor(c.steps / 3), c.steps - 1]) {
      const optimizer = makeOptimizer(c.groups);
      const scheduler = build(optimizer, c);
      for (let k = 0; k < split; k++) stepOnce(scheduler, c, k);
      // a checkpoint: both states through JSON, as they would be on disk
      const state = scheduler.stateDict();
      const saved = JSON.stringify(state);
      expect(JSON.parse(saved)).toEqual(state);
      const savedGroups = JSON.stringify(optimizer.paramGroups);

      // a new process: fresh optimizer and scheduler, then load both states
      const resumedOptimizer = makeOptimizer(c.groups);
      const resumed = build(resumedOptimizer, c);
      (JSON.parse(savedGroups) as ParamGroup[]).forEach((g, i) =>
        Object.assign(resumedOptimizer.paramGroups[i], g),
      );
      resumed.loadStateDict(JSON.parse(saved));
      const rest = runFrom(resumed, resumedOptimizer, c, split);
      expect(rest.lrs).toEqual(whole.lrs.slice(split));
      expect(rest.momentums).toEqual(whole.momentums.slice(split));
    }
  });

  it('ReduceLROnPlateau stores an infinite best as a string', () => {
    const s = new ReduceLROnPlateau(makeOptimizer([{ lr: 0.1 }]), { mode: 'max' });
    expect(s.stateDict().best).toBe('-Infinity');
    s.step(3);
    expect(s.stateDict().best).toBe(3);
  });

  it('loadStateDict rejects what stateDict never produces', () => {
    const optimizer = makeOptimizer([{ lr: 0.1 }, { lr: 0.2 }]);
    const s = new StepLR(optimizer, { stepSize: 2 });
    expectThrows(
      () => s.loadStateDict(null),
      'TypeError',
      /StepLR\.loadStateDict: expected a state object/,
    );
    const state = s.stateDict();
    expectThrows(
      () => s.loadStateDict({ ...state, baseLrs: [0.1] }),
      'RangeError',
      /expected 2 numbers \(one per param group\) for state\.baseLrs but received \[0\.1\]/,
    );
    expectThrows(
      () => s.loadStateDict({ ...state, stepSize: 0 }),
      'RangeError',
      /for state\.stepSize but received 0/,
    );
    const seq = new SequentialLR(optimizer, {
      schedulers: [new LinearLR(optimizer), new ExponentialLR(optimizer, { gamma: 0.9 })],
      milestones: [3],
    });
    expectThrows(
      () => seq.loadStateDict({ ...seq.stateDict(), schedulers: [] }),
      'RangeError',
      /expected 2 scheduler states for state\.schedulers/,
    );
  });
});

describe('scheduler behaviour', () => {
  it('sets initialLr like setdefault and keeps an existing one', () => {
    const optimizer = makeOptimizer([{ lr: 0.1 }, { lr: 0.05, initialLr: 0.2 }]);
    const s = new StepLR(optimizer, { stepSize: 1, gamma: 0.5 });
    expect(optimizer.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.2]);
    expect(s.lastEpoch).toBe(0);
    expect(s.getLastLr()).toEqual([0.1, 0.05]);
    s.getLastLr()[0] = 7; // a copy
    expect(s.getLastLr()).toEqual([0.1, 0.05]);
  });

  it('OneCycleLR writes its cycle bounds on the groups and leaves beta2 alone', () => {
    const optimizer = makeOptimizer([{ lr: 1, betas: [0.9, 0.999] }]);
    new OneCycleLR(optimizer, { maxLr: 0.5, totalSteps: 10, divFactor: 5, finalDivFactor: 10 });
    const g = optimizer.paramGroups[0];
    expect([g.initialLr, g.maxLr, g.minLr]).toEqual([0.1, 0.5, 0.01]);
    expect(g.lr).toBeCloseTo(0.1, 15); // cos annealing at pct 0: 0.09999999999999998, as PyTorch
    expect([g.maxMomentum, g.baseMomentum, g.betas]).toEqual([0.95, 0.85, [0.95, 0.999]]);
  });

  it('OneCycleLR refuses to step past totalSteps and stays where it was', () => {
    const optimizer = makeOptimizer([{ lr: 1, momentum: 0.9 }]);
    const s = new OneCycleLR(optimizer, { maxLr: 0.5, totalSteps: 4 });
    for (let k = 0; k < 4; k++) s.step();
    const before = s.stateDict();
    expectThrows(
      () => s.step(),
      'RangeError',
      /OneCycleLR\.step: expected at most totalSteps = 4 steps after construction for the step but received 5/,
    );
    expect(s.stateDict()).toEqual(before);
  });

  it('ChainedScheduler and SequentialLR take only schedulers of one optimizer', () => {
    const a = makeOptimizer([{ lr: 0.1 }]);
    const b = makeOptimizer([{ lr: 0.1 }]);
    const sa = new ExponentialLR(a, { gamma: 0.9 });
    const sb = new ExponentialLR(b, { gamma: 0.9 });
    expectThrows(
      () => new ChainedScheduler([sa, sb]),
      'RangeError',
      /ChainedScheduler: expected schedulers of the same optimizer for schedulers\[1\]/,
    );
    expectThrows(
      () => new SequentialLR(a, { schedulers: [sa, sb], milestones: [2] }),
      'RangeError',
      /SequentialLR: expected schedulers of the same optimizer for schedulers\[1\]/,
    );
    expectThrows(
      () =>
        new SequentialLR(a, {
          schedulers: [sa, new ReduceLROnPlateau(a) as never],
          milestones: [2],
        }),
      'TypeError',
      /SequentialLR: expected an lr scheduler \(not ReduceLROnPlateau\) for schedulers\[1\]/,
    );
    expectThrows(() => new ChainedScheduler([]), 'TypeError', /a non-empty list of schedulers/);
  });
});

describe('argument checks', () => {
  const opt = () => makeOptimizer([{ lr: 0.1, momentum: 0.9 }]);

  it('rejects a non-optimizer', () => {
    expectThrows(
      () => new StepLR({} as never, { stepSize: 1 }),
      'TypeError',
      /^convkit\.StepLR: expected an optimizer \(an object with paramGroups\) for optimizer but received an object/,
    );
    expectThrows(
      () => new ReduceLROnPlateau({ paramGroups: [{ lr: '0.1' }] } as never),
      'TypeError',
      /expected a number for paramGroups\[0\]\.lr but received '0\.1'/,
    );
  });

  it('rejects bad step sizes and gammas', () => {
    expectThrows(
      () => new StepLR(opt(), { stepSize: -3 }),
      'RangeError',
      /^convkit\.StepLR: expected an integer >= 1 for stepSize but received -3$/,
    );
    expectThrows(
      () => new StepLR(opt(), { stepSize: 2.5 }),
      'RangeError',
      /for stepSize but received 2\.5/,
    );
    expectThrows(
      () => new StepLR(opt(), { stepSize: '2' as never }),
      'TypeError',
      /expected an integer for stepSize but received '2'/,
    );
    expectThrows(
      () => new StepLR(opt(), undefined as never),
      'TypeError',
      /expected an options object/,
    );
    for (const gamma of [0, -0.5, NaN, Infinity])
      expectThrows(
        () => new StepLR(opt(), { stepSize: 2, gamma }),
        'RangeError',
        /^convkit\.StepLR: expected a finite number > 0 for gamma but received/,
      );
    expectThrows(
      () => new ExponentialLR(opt(), { gamma: 0 }),
      'RangeError',
      /ExponentialLR: .* for gamma/,
    );
    expectThrows(
      () => new ExponentialLR(opt(), {} as never),
      'TypeError',
      /a number for gamma but received undefined/,
    );
    expectThrows(
      () => new MultiStepLR(opt(), { milestones: [3], gamma: -1 }),
      'RangeError',
      /for gamma/,
    );
  });

  it('rejects unsorted or malformed milestones', () => {
    expectThrows(
      () => new MultiStepLR(opt(), { milestones: [10, 5, 20] }),
      'RangeError',
      /^convkit\.MultiStepLR: expected a non-decreasing list of integers >= 0 for milestones but received \[10, 5, 20\]$/,
    );
    expectThrows(
      () => new MultiStepLR(opt(), { milestones: 5 as never }),
      'TypeError',
      /for milestones but received 5/,
    );
    expectThrows(
      () => new MultiStepLR(opt(), { milestones: [2, -1] }),
      'RangeError',
      /for milestones\[1\]/,
    );
    const o = opt();
    const schedulers = [new LinearLR(o), new ExponentialLR(o, { gamma: 0.9 })];
    expectThrows(
      () => new SequentialLR(o, { schedulers, milestones: [] }),
      'RangeError',
      /SequentialLR: expected 1 milestones \(one fewer than schedulers\) for milestones but received \[\]/,
    );
    expectThrows(
      () =>
        new SequentialLR(o, { schedulers: [...schedulers, new LinearLR(o)], milestones: [5, 5] }),
      'RangeError',
      /expected an increasing list of integers >= 1 for milestones/,
    );
  });

  it('rejects bad cosine and linear settings', () => {
    expectThrows(
      () => new CosineAnnealingLR(opt(), { tMax: 0 }),
      'RangeError',
      /integer >= 1 for tMax but received 0/,
    );
    expectThrows(
      () => new CosineAnnealingLR(opt(), { tMax: 5, etaMin: -1 }),
      'RangeError',
      /for etaMin/,
    );
    expectThrows(
      () => new LinearLR(opt(), { startFactor: 0 }),
      'RangeError',
      /> 0 and <= 1 for startFactor but received 0/,
    );
    expectThrows(
      () => new LinearLR(opt(), { endFactor: 1.5 }),
      'RangeError',
      />= 0 and <= 1 for endFactor/,
    );
    expectThrows(
      () => new LinearLR(opt(), { totalIters: 0 }),
      'RangeError',
      /for totalIters but received 0/,
    );
    expectThrows(
      () => new LinearLR(opt(), { total_iters: 3 } as never),
      'TypeError',
      /LinearLR: expected options among startFactor, endFactor, totalIters but received unknown option 'total_iters'/,
    );
  });

  it('rejects bad OneCycleLR settings', () => {
    expectThrows(
      () => new OneCycleLR(opt(), { maxLr: 0.1 }),
      'TypeError',
      /^convkit\.OneCycleLR: expected an integer for totalSteps \(or epochs and stepsPerEpoch\) but received undefined$/,
    );
    expectThrows(
      () => new OneCycleLR(opt(), { maxLr: 0.1, epochs: 3 }),
      'TypeError',
      /expected an integer for stepsPerEpoch but received undefined/,
    );
    expectThrows(
      () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 0 }),
      'RangeError',
      /for totalSteps but received 0/,
    );
    expectThrows(
      () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' as never }),
      'RangeError',
      /expected one of 'cos', 'linear' for annealStrategy but received 'exp'/,
    );
    expectThrows(
      () => new OneCycleLR(opt(), { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }),
      'RangeError',
      /for pctStart/,
    );
    expectThrows(
      () => new OneCycleLR(opt(), { maxLr: [0.1, 0.2], totalSteps: 10 }),
      'RangeError',
      /expected 1 values \(one per param group\) for maxLr/,
    );
    expectThrows(
      () => new OneCycleLR(makeOptimizer([{ lr: 0.1 }]), { maxLr: 0.1, totalSteps: 10 }),
      'TypeError',
      /expected param groups with momentum or betas for optimizer/,
    );
    // without momentum cycling, groups need neither
    expect(
      () =>
        new OneCycleLR(makeOptimizer([{ lr: 0.1 }]), {
          maxLr: 0.1,
          totalSteps: 10,
          cycleMomentum: false,
        }),
    ).not.toThrow();
  });

  it('rejects bad ReduceLROnPlateau settings', () => {
    expectThrows(
      () => new ReduceLROnPlateau(opt(), { mode: 'avg' as never }),
      'RangeError',
      /^convkit\.ReduceLROnPlateau: expected one of 'min', 'max' for mode but received 'avg'$/,
    );
    expectThrows(
      () => new ReduceLROnPlateau(opt(), { thresholdMode: 'pct' as never }),
      'RangeError',
      /expected one of 'rel', 'abs' for thresholdMode/,
    );
    expectThrows(
      () => new ReduceLROnPlateau(opt(), { factor: 1 }),
      'RangeError',
      />= 0 and < 1 for factor but received 1/,
    );
    expectThrows(
      () => new ReduceLROnPlateau(opt(), { patience: -1 }),
      'RangeError',
      /for patience/,
    );
    expectThrows(() => new ReduceLROnPlateau(opt(), { minLr: [0, 0] }), 'RangeError', /for minLr/);
    const s = new ReduceLROnPlateau(opt());
    expectThrows(
      () => s.step('0.5' as never),
      'TypeError',
      /ReduceLROnPlateau\.step: expected a number for metric/,
    );
  });
});
