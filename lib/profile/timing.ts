// profile.time: measured wall-clock per module, forward and (with train) backward, with the
// achieved GFLOP/s and % of the FMA peak measured in the same call.
import { tidy } from '../autograd';
import { noGrad } from '../autograd/grad_mode';
import { profiling } from '../autograd/scope';
import { native } from '../native';
import type { Module } from '../nn/module';
import { info } from '../runtime';
import { randn } from '../tensor';
import { withModuleHooks } from './hooks';
import { summary } from './summary';

export interface TimingRow {
  name: string;
  type: string;
  depth: number;
  flops: number;
  /** Median forward seconds (children included). */
  forwardSeconds: number;
  /** Median backward seconds of the graph nodes this module created itself (children excluded). */
  backwardSeconds: number;
  gflops: number;
  peakFraction: number;
}

export interface TimingOptions {
  /** Also time the backward (training step without the update). */
  train?: boolean;
  runs?: number;
  depth?: number;
}

const median = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : 0;

export function time(
  model: Module,
  inputShape: number[],
  options: TimingOptions = {},
): { peakGflops: number; rows: TimingRow[] } {
  const { train = false, runs = 5, depth = 2 } = options;
  const counts = summary(model, inputShape, { depth });
  const rt = info();
  const peakGflops = native.fmaPeak(rt.isa, rt.threads, 0.2);
  const forward = new Map<string, number[]>();
  const backward = new Map<string, number[]>();
  const wasTraining = model.training;
  model.train(train);
  try {
    for (let run = 0; run <= runs; run++) {
      const fwd = new Map<string, number>();
      const bwd = new Map<string, number>();
      tidy(() => {
        const x = randn(inputShape);
        const step = () =>
          withModuleHooks(
            model,
            (c) => fwd.set(c.name, (fwd.get(c.name) ?? 0) + c.seconds),
            () => model.forward(x),
          );
        if (!train) {
          noGrad(step); // nothing returned: outputs go back to the pool at the end of tidy
          return;
        }
        const y = step();
        profiling.backwardTimer = (scope, s) =>
          bwd.set(scope ?? '', (bwd.get(scope ?? '') ?? 0) + s);
        try {
          y.sum().backward();
        } finally {
          profiling.backwardTimer = null;
        }
      });
      if (run === 0) continue; // warm-up
      for (const [k, v] of fwd) forward.set(k, [...(forward.get(k) ?? []), v]);
      for (const [k, v] of bwd) backward.set(k, [...(backward.get(k) ?? []), v]);
    }
  } finally {
    model.train(wasTraining);
    model.zeroGrad();
  }
  const rows = counts.rows.map((r) => {
    const key = r.name === '(model)' ? '' : r.name;
    const f = median(forward.get(key) ?? []);
    // Backward of a module = its own nodes plus its descendants'.
    const inside = [...backward.keys()].filter(
      (k) => key === '' || k === key || k.startsWith(`${key}.`),
    );
    const b = inside.reduce((s, k) => s + median(backward.get(k) ?? []), 0);
    const flops = train ? r.trainingFlops : r.flops;
    const seconds = f + (train ? b : 0);
    const gflops = seconds > 0 ? flops / seconds / 1e9 : 0;
    return {
      name: r.name,
      type: r.type,
      depth: r.depth,
      flops,
      forwardSeconds: f,
      backwardSeconds: b,
      gflops,
      peakFraction: gflops / peakGflops,
    };
  });
  return { peakGflops, rows };
}
