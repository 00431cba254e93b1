// Fused SGD / Adam / AdamW updates: 5 steps against the reference of PyTorch 1.13's formulas on
// every ISA path and thread count, against numbers generated once with PyTorch 1.13
// (test/fixtures/optim_torch113.json, from bench/torch/gen_optim_fixture.py), and bad arguments.
import * as fs from 'fs';
import * as path from 'path';
import { runtime, tensor, zeros } from '../../lib';
import { adamStep, adamwStep, optimNative, rmspropStep, sgdStep } from '../../lib/kernels/optim';
import { Generator } from '../../lib/random';
import { describeEachIsa, expectThrows, maxRelativeError, randomArray } from '../helpers';

interface SgdConfig {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}
interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  decoupled: boolean;
}

const sgdConfigs: SgdConfig[] = [
  { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: false, maximize: false },
  { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 1e-2, nesterov: false, maximize: true },
  { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: true, maximize: false },
];
const adamConfigs: AdamConfig[] = [
  {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: false,
    maximize: false,
    decoupled: false,
  },
  {
    lr: 1e-2,
    beta1: 0.8,
    beta2: 0.99,
    eps: 1e-6,
    weightDecay: 1e-2,
    amsgrad: true,
    maximize: false,
    decoupled: false,
  },
  {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 1e-2,
    amsgrad: false,
    maximize: false,
    decoupled: true,
  },
  {
    lr: 3e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0.1,
    amsgrad: true,
    maximize: true,
    decoupled: true,
  },
];

// Sizes: a single element, odd tails of every vector width, and one above the 64K threshold
// where the update splits over threads.
const sizes = [1, 3, 17, 1000, 70001];
// 5 steps of a few float32 operations each, against the double reference rounded per step:
// a few ulps per step; Adam's m / (sqrt(v) + eps) adds ~3 ulps more. 1e-5 relative bounds it.
const TOLERANCE = 1e-5;

function runSgd(c: SgdConfig, n: number, seed: number, reference: boolean): Float32Array[] {
  const g = new Generator(seed);
  const p = randomArray(n, g),
    buf = new Float32Array(n).fill(NaN); // step 1 must not read buf
  const fn = reference ? optimNative.sgdStepReference : optimNative.sgdStep;
  for (let step = 1; step <= 5; step++) {
    const grad = randomArray(n, g);
    fn(p, grad, buf, n, c.lr, c.momentum, c.dampening, c.weightDecay, c.nesterov, c.maximize, step);
  }
  return [p, c.momentum ? buf : new Float32Array(0)];
}

function runAdam(c: AdamConfig, n: number, seed: number, reference: boolean): Float32Array[] {
  const g = new Generator(seed);
  const p = randomArray(n, g),
    m = new Float32Array(n),
    v = new Float32Array(n),
    vmax = new Float32Array(n);
  const fn = reference ? optimNative.adamStepReference : optimNative.adamStep;
  for (let step = 1; step <= 5; step++) {
    // Gradients of mixed magnitude, so sqrt(v) ranges from far above eps to near it.
    const grad = randomArray(n, g).map((x, i) => x * (i % 3 === 0 ? 1e-4 : 1));
    fn(
      p,
      grad,
      m,
      v,
      vmax,
      n,
      c.lr,
      c.beta1,
      c.beta2,
      c.eps,
      c.weightDecay,
      c.amsgrad,
      c.maximize,
      c.decoupled,
      step,
    );
  }
  return [p, m, v, vmax];
}

function expectClose(what: string, got: Float32Array[], want: Float32Array[]): void {
  got.forEach((g, k) => {
    const { error, index } = maxRelativeError(g, want[k]);
    if (!(error <= TOLERANCE))
      throw new Error(
        `${what} buffer ${k}: error ${error} at ${index} (${g[index]} vs ${want[k][index]})`,
      );
  });
}

describeEachIsa('fused optimizers', () => {
  test('SGD over 5 steps vs the reference (momentum, dampening, nesterov, weight decay, maximize)', () => {
    sgdConfigs.forEach((c, k) => {
      for (const n of sizes)
        expectClose(
          `sgd ${JSON.stringify(c)} n=${n}`,
          runSgd(c, n, 10 + k, false),
          runSgd(c, n, 10 + k, true),
        );
    });
  });

  test('Adam and AdamW over 5 steps vs the reference (amsgrad, weight decay, maximize)', () => {
    adamConfigs.forEach((c, k) => {
      for (const n of sizes)
        expectClose(
          `adam ${JSON.stringify(c)} n=${n}`,
          runAdam(c, n, 20 + k, false),
          runAdam(c, n, 20 + k, true),
        );
    });
  });

  test('the same bits on 1 and 2 threads', () => {
    const results = [1, 2].map((threads) => {
      runtime.setNumThreads(threads);
      return [
        ...runSgd(sgdConfigs[1], 70001, 3, false),
        ...runAdam(adamConfigs[3], 70001, 4, false),
      ];
    });
    runtime.setNumThreads(runtime.info().maxThreads);
    results[0].forEach((a, k) =>
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(results[1][k].buffer))).toBe(0),
    );
  });

  test('matches PyTorch 1.13 torch.optim over 5 steps (fixture)', () => {
    const fixture = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'optim_torch113.json'), 'utf8'),
    ) as {
      initial: number[];
      grads: number[][];
      cases: {
        name: string;
        optimizer: string;
        options: Record<string, number | boolean | number[]>;
        params: number[][];
      }[];
    };
    expect(fixture.cases.length).toBeGreaterThanOrEqual(10);
    // RMSprop cases are for the optimizer classes (test/optim), which have no fused kernel for it.
    for (const c of fixture.cases.filter((x) => x.optimizer !== 'RMSprop')) {
      const o = c.options;
      const param = tensor(fixture.initial);
      const n = fixture.initial.length;
      const state = { expAvg: zeros([n]), expAvgSq: zeros([n]), maxExpAvgSq: zeros([n]) };
      const buf = zeros([n]);
      fixture.grads.forEach((g, i) => {
        const grad = tensor(g);
        const step = i + 1;
        if (c.optimizer === 'SGD') {
          sgdStep(
            param,
            grad,
            buf,
            {
              lr: o.lr as number,
              momentum: (o.momentum as number) ?? 0,
              dampening: (o.dampening as number) ?? 0,
              weightDecay: (o.weight_decay as number) ?? 0,
              nesterov: (o.nesterov as boolean) ?? false,
              maximize: (o.maximize as boolean) ?? false,
            },
            step,
          );
        } else {
          const options = {
            lr: o.lr as number,
            betas: (o.betas as [number, number]) ?? [0.9, 0.999],
            eps: (o.eps as number) ?? 1e-8,
            weightDecay: o.weight_decay as number | undefined,
            amsgrad: (o.amsgrad as boolean) ?? false,
            maximize: (o.maximize as boolean) ?? false,
          };
          (c.optimizer === 'AdamW' ? adamwStep : adamStep)(param, grad, state, options, step);
        }
        const { error, index } = maxRelativeError(param.data, c.params[i]);
        // PyTorch's float32 kernels and ours round in different places (and may or may not fuse
        // multiply-adds): a few ulps per step.
        if (!(error <= 2e-6))
          throw new Error(
            `${c.name} step ${step}: error ${error} at ${index}: ${param.data[index]} vs ${c.params[i][index]}`,
          );
      });
    }
  });
});

describe('optimizer arguments', () => {
  const p = tensor([1, 2, 3]),
    g = tensor([0.1, 0.2, 0.3]);
  const state = { expAvg: zeros([3]), expAvgSq: zeros([3]) };
  test('bad values name the op and the value', () => {
    expect(() => sgdStep(p, g, null, { lr: -0.1 }, 1)).toThrow(
      /convkit.sgdStep: expected a finite number >= 0 for lr but received -0.1/,
    );
    expect(() => sgdStep(p, g, null, { lr: 0.1, momentum: 0.9 }, 1)).toThrow(
      /convkit.sgdStep: expected a Tensor for momentumBuffer/,
    );
    expect(() =>
      sgdStep(p, g, zeros([3]), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, 1),
    ).toThrow(/Nesterov/);
    expect(() => sgdStep(p, g, null, { lr: 0.1 }, 0)).toThrow(/convkit.sgdStep: .*step/);
    expect(() => sgdStep(p, tensor([1, 2]), null, { lr: 0.1 }, 1)).toThrow(
      /convkit.sgdStep: expected shape \[3\] like param for grad/,
    );
    expect(() => adamStep(p, g, state, { lr: 1e-3, betas: [1, 0.999] }, 1)).toThrow(
      /convkit.adamStep: expected a number in \[0, 1\) for betas\[0\] but received 1/,
    );
    expect(() => adamwStep(p, g, state, { lr: 1e-3, eps: -1 }, 1)).toThrow(RangeError);
    expect(() => adamwStep(p, g, state, { lr: 1e-3, amsgrad: true }, 1)).toThrow(/maxExpAvgSq/);
    expect(() => adamStep(p, g, { expAvg: zeros([4]), expAvgSq: zeros([3]) }, {}, 1)).toThrow(
      /state.expAvg/,
    );
  });
  test('the binding re-checks lengths and values', () => {
    expect(() =>
      optimNative.sgdStep(p.data, g.data, null, 10, 0.1, 0, 0, 0, false, false, 1),
    ).toThrow(/convkit.sgdStep: param holds 3 elements/);
    expect(() =>
      optimNative.sgdStep(p.data, g.data, null, 3, -1, 0, 0, 0, false, false, 1),
    ).toThrow(/convkit.sgdStep: .*lr/);
    expect(() =>
      optimNative.adamStep(
        p.data,
        g.data,
        p.data,
        p.data,
        null,
        3,
        0.1,
        0.9,
        1.5,
        1e-8,
        0,
        false,
        false,
        false,
        1,
      ),
    ).toThrow(/beta2/);
  });
});

describeEachIsa('rmspropStep vs the scalar reference', () => {
  const configs = [
    {},
    { weightDecay: 1e-2, maximize: true },
    { momentum: 0.5, centered: true, alpha: 0.9 },
  ];
  test.each(configs.map((c) => [JSON.stringify(c), c] as const))(
    '%s, 5 steps, odd sizes',
    (_name, options) => {
      for (const n of [1, 13, 70001]) {
        const g = new Generator(n);
        const make = () => {
          const values = randomArray(n, g);
          return [tensor(values), tensor(values.slice())];
        };
        const [p, pRef] = make();
        const zeros3 = () => [0, 1, 2].map(() => tensor(new Float32Array(n)));
        const [sq, ga, mb] = zeros3();
        const [sqRef, gaRef, mbRef] = zeros3();
        for (let step = 0; step < 5; step++) {
          const grad = tensor(randomArray(n, g));
          rmspropStep(p, grad, { squareAvg: sq, gradAvg: ga, momentumBuffer: mb }, options);
          rmspropStep(
            pRef,
            grad,
            { squareAvg: sqRef, gradAvg: gaRef, momentumBuffer: mbRef },
            options,
            true,
          );
        }
        const { error, index } = maxRelativeError(p.data, pRef.data);
        if (!(error <= 2e-6)) throw new Error(`n ${n}: error ${error} at ${index}`);
      }
    },
  );
  test('bad state names the op and the buffer', () => {
    const p = tensor([1, 2]);
    expectThrows(
      () => rmspropStep(p, tensor([1, 1]), { squareAvg: tensor([0]) }),
      'RangeError',
      /rmspropStep.*squareAvg/,
    );
    expectThrows(
      () => rmspropStep(p, tensor([1, 1]), { squareAvg: tensor([0, 0]) }, { centered: true }),
      'TypeError',
      /gradAvg/,
    );
  });
});
