// Defaults of `convkit train`, and so of `npm start`: one object for the lead to tune. The aim
// is a run of about two minutes on a 2-core machine over the bundled Fashion-MNIST subset
// (10k train / 2k test images) that reaches a test accuracy worth seeing (>= 85%).
export const trainDefaults = {
  model: 'resnet20',
  /** Extra constructor options for the model (JSON on the command line: --model-options). */
  modelOptions: {} as Record<string, unknown>,
  data: 'fashion-mnist',
  epochs: 10,
  batchSize: 128,
  optimizer: 'sgd',
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: 'onecycle',
  labelSmoothing: 0,
  /** Training augmentation: 'auto' is crop + flip for CIFAR and none for (Fashion-)MNIST. */
  augment: 'auto' as 'auto' | 'none' | 'flip' | 'crop-flip',
  seed: 1,
  /** Checkpoint every this many epochs (and always after the last one and on Ctrl-C). */
  checkpointEvery: 1,
};

export type TrainDefaults = typeof trainDefaults;
