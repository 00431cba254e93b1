// evaluate(model, loader): loss, top-1 / top-5 accuracy and the confusion matrix over a whole
// loader, in eval mode (BN running statistics, no dropout) and without recording a graph.
import { noGrad, tidy } from '../autograd';
import type { Module } from '../nn/module';
import * as F from '../ops';
import type { Tensor } from '../tensor';
import { MetricAccumulator } from './metrics';
import type { Loader } from './types';

export type LossFn = (logits: Tensor, labels: Int32Array) => Tensor;

export interface EvaluateOptions {
  /** Default: cross-entropy without label smoothing. */
  loss?: LossFn;
  /** Size of the confusion matrix (default: the logits' width). */
  numClasses?: number;
}

export interface EvaluateResult {
  loss: number;
  top1: number;
  top5: number;
  /** Samples seen. */
  count: number;
  /** confusion[target][predicted]: counts, numClasses x numClasses. */
  confusion: number[][];
  seconds: number;
}

export const defaultLoss: LossFn = (logits, labels) => F.crossEntropy(logits, labels);

/** [N, C] logits from a model's output, or a clear error naming what came back. */
export function checkLogits(op: string, logits: Tensor, batch: number): number {
  if (logits.ndim !== 2 || logits.shape[0] !== batch)
    throw new RangeError(
      `convkit.${op}: expected the model to return logits [${batch}, classes] but received [${logits.shape}]`,
    );
  return logits.shape[1];
}

/**
 * The evaluation loop, one batch per iteration, so fit can yield to the event loop between
 * batches (Ctrl-C stays responsive) while evaluate() simply drains it.
 */
export function* evaluationSteps(
  model: Module,
  loader: Loader,
  options: EvaluateOptions = {},
): Generator<void, EvaluateResult> {
  const lossFn = options.loss ?? defaultLoss;
  const metrics = new MetricAccumulator({ confusion: true, numClasses: options.numClasses });
  const wasTraining = model.training;
  const started = performance.now();
  model.eval();
  try {
    const iterator = loader[Symbol.iterator]();
    for (;;) {
      // The batch is produced inside tidy too, so its tensors are freed with the step's.
      const done = tidy(() =>
        noGrad(() => {
          const next = iterator.next();
          if (next.done) return true;
          const { x, labels } = next.value;
          const logits = model.forward(x);
          const classes = checkLogits('evaluate', logits, labels.length);
          const loss = lossFn(logits, labels).item();
          metrics.add(logits.data, classes, labels, loss);
          return false;
        }),
      );
      if (done) break;
      yield;
    }
  } finally {
    model.train(wasTraining);
  }
  const { loss, top1, top5, count } = metrics.values();
  const size = options.numClasses ?? 0;
  const confusion =
    metrics.matrix ?? Array.from({ length: size }, () => new Array<number>(size).fill(0));
  return { loss, top1, top5, count, confusion, seconds: (performance.now() - started) / 1000 };
}

/** Loss, top-1 / top-5 accuracy and confusion matrix of `model` over every batch of `loader`. */
export function evaluate(
  model: Module,
  loader: Loader,
  options: EvaluateOptions = {},
): EvaluateResult {
  const steps = evaluationSteps(model, loader, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
