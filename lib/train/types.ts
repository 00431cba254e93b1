// What the trainer needs from its collaborators: a loader of labelled NHWC batches and an
// LR scheduler. Structural types, so any iterable of batches works (lib/data's DataLoader,
// an array with a `length`, a generator wrapped in an object).
import type { Tensor } from '../tensor';
import type { SchedulerState } from '../optim/scheduler_base';

export interface Batch {
  /** Images [N, H, W, C], float32. */
  x: Tensor;
  /** Class indices, N of them. */
  labels: Int32Array;
}

/**
 * One pass over the data per iteration. `length` is the number of batches per epoch.
 * `setEpoch(e)`, when present, is called before each epoch (as PyTorch's sampler.set_epoch):
 * a loader that derives its shuffle from (seed, epoch) resumes exactly from any epoch.
 */
export type Loader = Iterable<Batch> & { length: number; setEpoch?: (epoch: number) => void };

/** Every convkit LR scheduler; ReduceLROnPlateau's step takes the monitored metric. */
export interface Scheduler {
  step(metric?: number): void;
  stateDict(): SchedulerState;
  loadStateDict(state: SchedulerState): void;
}
