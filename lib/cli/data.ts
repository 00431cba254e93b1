// Datasets for the CLI: name -> (train loader, test loader, classes, image shape), over
// lib/data. Normalization with each dataset's channel statistics happens here, on the batch
// in the loader's transform (torchvision's ToTensor + Normalize); augmentation (random crop +
// flip) on by default for CIFAR, on request (--augment) for the others.
import { DataLoader, datasets, Subset, transforms } from '../data';
import type { Dataset } from '../data';
import type { Loader } from '../train/types';
import { UsageError } from './options';

export interface DatasetSpec {
  classes: number;
  /** [H, W, C] of one image. */
  shape: [number, number, number];
  mean: number[];
  std: number[];
  /** Training augmentation when --augment is 'auto'. */
  augment: AugmentMode;
  /** Zero padding of the random crop (torchvision's RandomCrop(size, padding)). */
  cropPadding: number;
}

/** none; random horizontal flip; random crop with padding, then flip. */
export const augmentModes = ['none', 'flip', 'crop-flip'] as const;
export type AugmentMode = (typeof augmentModes)[number];

export const datasetSpecs: Record<string, DatasetSpec> = {
  'fashion-mnist': {
    classes: 10,
    shape: [28, 28, 1],
    mean: [0.286],
    std: [0.353],
    augment: 'none',
    cropPadding: 2,
  },
  mnist: {
    classes: 10,
    shape: [28, 28, 1],
    mean: [0.1307],
    std: [0.3081],
    augment: 'none',
    cropPadding: 2,
  },
  cifar10: {
    classes: 10,
    shape: [32, 32, 3],
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.247, 0.2435, 0.2616],
    augment: 'crop-flip',
    cropPadding: 4,
  },
  cifar100: {
    classes: 100,
    shape: [32, 32, 3],
    mean: [0.5071, 0.4865, 0.4409],
    std: [0.2673, 0.2564, 0.2762],
    augment: 'crop-flip',
    cropPadding: 4,
  },
};

export const datasetNames = Object.keys(datasetSpecs);

export interface DataOptions {
  data: string;
  dataDir?: string;
  batchSize: number;
  seed: number;
  limitTrain?: number;
  limitTest?: number;
  /** 'auto' (the default): the dataset's own choice (crop + flip for CIFAR, none otherwise). */
  augment?: AugmentMode | 'auto';
}

export interface Data {
  spec: DatasetSpec;
  train: Loader;
  test: Loader;
}

const constructors = {
  'fashion-mnist': (o: { root?: string; train: boolean }) => datasets.fashionMnist(o),
  mnist: (o: { root?: string; train: boolean }) =>
    datasets.mnist({ ...o, root: requireRoot(o.root) }),
  cifar10: (o: { root?: string; train: boolean }) =>
    datasets.cifar10({ ...o, root: requireRoot(o.root) }),
  cifar100: (o: { root?: string; train: boolean }) =>
    datasets.cifar100({ ...o, root: requireRoot(o.root) }),
} as const;

function requireRoot(root: string | undefined): string {
  if (!root)
    throw new UsageError('this dataset is not bundled: pass --data-dir DIR with its files');
  return root;
}

/** The first `limit` samples (quick runs), or the whole set. */
function limited(dataset: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= dataset.length) return dataset;
  return new Subset(
    dataset,
    Array.from({ length: limit }, (_, i) => i),
  );
}

export function loadData(o: DataOptions): Data {
  const spec = datasetSpecs[o.data];
  if (!spec)
    throw new UsageError(`unknown dataset '${o.data}' (choose from ${datasetNames.join(', ')})`);
  const make = constructors[o.data as keyof typeof constructors];
  const root = o.dataDir;
  const trainSet = limited(make({ ...(root ? { root } : {}), train: true }), o.limitTrain);
  const testSet = limited(make({ ...(root ? { root } : {}), train: false }), o.limitTest);
  // uint8 -> (x / 255 - mean) / std, after the augmentation.
  const normalize = transforms.normalize(spec.mean, spec.std);
  const mode = !o.augment || o.augment === 'auto' ? spec.augment : o.augment;
  const augment = {
    none: [],
    flip: [transforms.randomHorizontalFlip()],
    'crop-flip': [
      transforms.randomCrop([spec.shape[0], spec.shape[1]], { padding: spec.cropPadding }),
      transforms.randomHorizontalFlip(),
    ],
  }[mode];
  const train = new DataLoader(trainSet, {
    batchSize: o.batchSize,
    shuffle: true,
    seed: o.seed,
    dropLast: false,
    transform: transforms.compose([...augment, normalize]),
  });
  const testBatch = Math.max(o.batchSize, 256);
  const test = new DataLoader(testSet, {
    batchSize: testBatch,
    shuffle: false,
    transform: normalize,
  });
  return { spec, train, test };
}
