// profile.summary: a per-module table like torchinfo's — output shape, parameters (trainable /
// frozen), MACs, forward and training FLOPs, activation memory — counted from the modules'
// configurations during one forward pass (no timing). See counts.ts for the conventions.
import { noGrad } from '../autograd/grad_mode';
import { tidy } from '../autograd';
import { checkShape } from '../check';
import type { Module } from '../nn/module';
import { isTensor, zeros } from '../tensor';
import { countCall } from './counts';
import { withModuleHooks } from './hooks';

export interface SummaryRow {
  name: string;
  type: string;
  depth: number;
  outputShape: number[];
  /** Parameters of this module and its descendants. */
  params: number;
  trainableParams: number;
  /** Conv/linear multiply-adds of this module and its descendants. */
  macs: number;
  /** Forward FLOPs (2 x MACs + element-wise work) of this module and its descendants. */
  flops: number;
  /** 3 x forward FLOPs: forward + backward-data + backward-weights. */
  trainingFlops: number;
  /** Bytes of this module's output (float32). */
  activationBytes: number;
}

export interface Summary {
  inputShape: number[];
  rows: SummaryRow[];
  totals: {
    params: number;
    trainableParams: number;
    frozenParams: number;
    macs: number;
    flops: number;
    trainingFlops: number;
    /** Sum of the leaf modules' outputs: what a training step keeps for backward, roughly. */
    activationBytes: number;
    paramBytes: number;
  };
}

export interface SummaryOptions {
  /** Rows deeper than this are folded into their ancestors (their counts still add up). */
  depth?: number;
}

export function summary(
  model: Module,
  inputShape: number[],
  options: SummaryOptions = {},
): Summary {
  checkShape('profile.summary', inputShape);
  const maxDepth = options.depth ?? Infinity;
  const modules = model.namedModules();
  const own = new Map<
    string,
    { macs: number; flops: number; activationBytes: number; outputShape: number[] }
  >();
  const wasTraining = model.training;
  model.eval();
  try {
    tidy(() =>
      noGrad(() =>
        withModuleHooks(
          model,
          (call) => {
            const isLeaf = call.module.children().length === 0;
            const counts = isLeaf
              ? countCall(call.module, call.inputs.find(isTensor), call.output)
              : { macs: 0, flops: 0 };
            const previous = own.get(call.name) ?? {
              macs: 0,
              flops: 0,
              activationBytes: 0,
              outputShape: [],
            };
            own.set(call.name, {
              macs: previous.macs + counts.macs,
              flops: previous.flops + counts.flops,
              activationBytes: previous.activationBytes + (isLeaf ? 4 * call.output.size : 0),
              outputShape: [...call.output.shape],
            });
          },
          () => model.forward(zeros(inputShape)),
        ),
      ),
    );
  } finally {
    model.train(wasTraining);
  }
  const rows: SummaryRow[] = modules.map(([name, module]) => {
    const inside = modules.filter(([n]) => name === '' || n === name || n.startsWith(`${name}.`));
    const total = (key: 'macs' | 'flops' | 'activationBytes') =>
      inside.reduce((s, [n]) => s + (own.get(n)?.[key] ?? 0), 0);
    const params = module.parameters();
    const flops = total('flops');
    return {
      name: name || '(model)',
      type: module.constructor.name,
      depth: name === '' ? 0 : name.split('.').length,
      outputShape: own.get(name)?.outputShape ?? [],
      params: params.reduce((s, p) => s + p.size, 0),
      trainableParams: params.filter((p) => p.requiresGrad).reduce((s, p) => s + p.size, 0),
      macs: total('macs'),
      flops,
      trainingFlops: 3 * flops,
      activationBytes: total('activationBytes'),
    };
  });
  const top = rows[0];
  return {
    inputShape,
    rows: rows.filter((r) => r.depth <= maxDepth),
    totals: {
      params: top.params,
      trainableParams: top.trainableParams,
      frozenParams: top.params - top.trainableParams,
      macs: top.macs,
      flops: top.flops,
      trainingFlops: top.trainingFlops,
      activationBytes: top.activationBytes,
      paramBytes: 4 * top.params,
    },
  };
}

function human(n: number, unit = ''): string {
  const steps: Array<[number, string]> = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, s] of steps) if (Math.abs(n) >= v) return `${(n / v).toFixed(2)}${s}${unit}`;
  return `${n}${unit}`;
}

/** The summary as a text table (torchinfo-like), totals at the bottom. */
export function formatSummary(s: Summary): string {
  const header = [
    'Layer (type)',
    'Output shape',
    'Params',
    'MACs',
    'FLOPs fwd',
    'FLOPs train',
    'Act. mem',
  ];
  const lines = s.rows.map((r) => [
    `${'  '.repeat(r.depth)}${r.name} (${r.type})`,
    `[${r.outputShape.join(', ')}]`,
    r.params.toLocaleString('en-US'),
    human(r.macs),
    human(r.flops),
    human(r.trainingFlops),
    human(r.activationBytes, 'B'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const t = s.totals;
  return [
    fmt(header),
    rule,
    ...lines.map(fmt),
    rule,
    `Input [${s.inputShape.join(', ')}] (NHWC)`,
    `Parameters: ${t.params.toLocaleString('en-US')} (trainable ${t.trainableParams.toLocaleString('en-US')}, frozen ${t.frozenParams.toLocaleString('en-US')}), ${human(t.paramBytes, 'B')}`,
    `Conv+linear MACs: ${human(t.macs)} (${t.macs.toLocaleString('en-US')}); forward FLOPs ${human(t.flops)} (1 MAC = 2 FLOPs); training FLOPs ${human(t.trainingFlops)}`,
    `Activation memory (leaf outputs, forward): ${human(t.activationBytes, 'B')}`,
  ].join('\n');
}
