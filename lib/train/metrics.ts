// Classification metrics accumulated over batches: mean loss, top-1 / top-5 accuracy and the
// confusion matrix. Counting happens in JS on the logits' Float32Array (a [N, C] matrix is
// small next to a step), so metrics never add nodes to the graph.

/** How many logits in `row` beat the label's: the label's rank (0 = the top prediction). */
function labelRank(logits: Float32Array, offset: number, classes: number, label: number): number {
  const target = logits[offset + label];
  let rank = 0;
  // Ties count against the label (as torch.topk may order them either way), and NaN logits
  // never count as correct.
  if (Number.isNaN(target)) return classes;
  for (let c = 0; c < classes; c++) {
    if (c === label) continue;
    const v = logits[offset + c];
    if (v > target || (v === target && c < label) || Number.isNaN(v)) rank++;
  }
  return rank;
}

/** Index of the largest logit of a row (the first one on ties, as argmax). */
function argmax(logits: Float32Array, offset: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (logits[offset + c] > logits[offset + best]) best = c;
  return best;
}

export interface MetricValues {
  /** Mean loss per sample. */
  loss: number;
  /** Fractions in [0, 1]. */
  top1: number;
  top5: number;
  /** Samples counted. */
  count: number;
}

/** Running sums over an epoch (or an evaluation), serializable for mid-epoch checkpoints. */
export class MetricAccumulator {
  lossSum = 0;
  top1Correct = 0;
  top5Correct = 0;
  count = 0;
  /** confusion[target][predicted], created on the first batch when `confusion` is on. */
  matrix: number[][] | null = null;

  constructor(private readonly options: { confusion?: boolean; numClasses?: number } = {}) {}

  /**
   * Adds a batch: `logits` is the [N, C] row-major data, `meanLoss` the batch's mean loss (its
   * contribution is weighted by N, so epochs with a short last batch average correctly).
   */
  add(logits: Float32Array, classes: number, labels: Int32Array, meanLoss: number): void {
    const n = labels.length;
    if (logits.length !== n * classes)
      throw new RangeError(
        `convkit.train: expected logits of ${n} x ${classes} values for ${n} labels but received ${logits.length}`,
      );
    if (this.options.confusion && this.matrix === null) {
      const size = Math.max(this.options.numClasses ?? classes, classes);
      this.matrix = Array.from({ length: size }, () => new Array<number>(size).fill(0));
    }
    for (let i = 0; i < n; i++) {
      const label = labels[i];
      if (label < 0 || label >= classes)
        throw new RangeError(
          `convkit.train: expected labels in [0, ${classes}) but received ${label} at index ${i}`,
        );
      const rank = labelRank(logits, i * classes, classes, label);
      if (rank < 1) this.top1Correct++;
      if (rank < 5) this.top5Correct++;
      if (this.matrix) this.matrix[label][argmax(logits, i * classes, classes)]++;
    }
    this.lossSum += meanLoss * n;
    this.count += n;
  }

  values(): MetricValues {
    const n = this.count;
    return {
      loss: n ? this.lossSum / n : NaN,
      top1: n ? this.top1Correct / n : NaN,
      top5: n ? this.top5Correct / n : NaN,
      count: n,
    };
  }

  /** The sums as JSON (for a checkpoint written mid-epoch). */
  state(): { lossSum: number; top1Correct: number; top5Correct: number; count: number } {
    const { lossSum, top1Correct, top5Correct, count } = this;
    return { lossSum, top1Correct, top5Correct, count };
  }

  restore(state: { lossSum: number; top1Correct: number; top5Correct: number; count: number }) {
    this.lossSum = state.lossSum;
    this.top1Correct = state.top1Correct;
    this.top5Correct = state.top5Correct;
    this.count = state.count;
  }
}
