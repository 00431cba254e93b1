// Datasets for the CLI: name -> (train loader, test loader, classes, image shape), over
// lib/data. Normalization with each dataset's channel statistics happens here, on the batch
// in place, so the CLI depends only on the minimal loader contract; random crop + flip come
// from lib/data's transforms for the CIFAR sets.
import { tensor } from '../tensor';
import type { Batch, Loader } from '../train/types';
import { UsageError } from './options';

export interface DatasetSpec {
  classes: number;
  /** [H, W, C] of one image. */
  shape: [number, number, number];
  mean: number[];
  std: number[];
  /** Random crop (padding 4) + horizontal flip while training. */
  augment: boolean;
}

export const datasets: Record<string, DatasetSpec> = {
  'fashion-mnist': { classes: 10, shape: [28, 28, 1], mean: [0.286], std: [0.353], augment: false },
  mnist: { classes: 10, shape: [28, 28, 1], mean: [0.1307], std: [0.3081], augment: false },
  cifar10: {
    classes: 10,
    shape: [32, 32, 3],
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.247, 0.2435, 0.2616],
    augment: true,
  },
  cifar100: {
    classes: 100,
    shape: [32, 32, 3],
    mean: [0.5071, 0.4865, 0.4409],
    std: [0.2673, 0.2564, 0.2762],
    augment: true,
  },
};

export const datasetNames = Object.keys(datasets);

// What the CLI uses of lib/data (written in parallel). It is loaded at run time so this
// branch builds on its own; once lib/data is merged, a static import makes tsc check it.
type Dataset = unknown;
type Transform = unknown;
interface DataModule {
  fashionMnist(o: { root?: string; train: boolean }): Dataset;
  mnist(o: { root?: string; train: boolean }): Dataset;
  cifar10(o: { root?: string; train: boolean }): Dataset;
  cifar100(o: { root?: string; train: boolean }): Dataset;
  DataLoader: new (
    dataset: Dataset,
    o: {
      batchSize: number;
      shuffle?: boolean;
      seed?: number;
      dropLast?: boolean;
      transform?: Transform;
    },
  ) => Loader;
  transforms: {
    compose(ts: Transform[]): Transform;
    randomCrop(size: number, o: { padding: number }): Transform;
    randomHorizontalFlip(): Transform;
  };
}

function dataModule(): DataModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../data') as DataModule;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new Error(`the data module (lib/data) is not available: ${reason}`);
  }
}

const constructors: Record<string, keyof DataModule> = {
  'fashion-mnist': 'fashionMnist',
  mnist: 'mnist',
  cifar10: 'cifar10',
  cifar100: 'cifar100',
};

export interface DataOptions {
  data: string;
  dataDir?: string;
  batchSize: number;
  seed: number;
  limitTrain?: number;
  limitTest?: number;
}

export interface Data {
  spec: DatasetSpec;
  train: Loader;
  test: Loader;
}

export function loadData(o: DataOptions): Data {
  const spec = datasets[o.data];
  if (!spec)
    throw new UsageError(`unknown dataset '${o.data}' (choose from ${datasetNames.join(', ')})`);
  const module = dataModule();
  const make = module[constructors[o.data]] as (x: { root?: string; train: boolean }) => Dataset;
  const root = o.dataDir;
  const trainSet = make({ ...(root ? { root } : {}), train: true });
  const testSet = make({ ...(root ? { root } : {}), train: false });
  const t = module.transforms;
  const augment = spec.augment
    ? t.compose([t.randomCrop(spec.shape[0], { padding: 4 }), t.randomHorizontalFlip()])
    : undefined;
  const train = new module.DataLoader(trainSet, {
    batchSize: o.batchSize,
    shuffle: true,
    seed: o.seed,
    dropLast: false,
    ...(augment ? { transform: augment } : {}),
  });
  const testBatch = Math.max(o.batchSize, 256);
  const test = new module.DataLoader(testSet, { batchSize: testBatch, shuffle: false });
  return {
    spec,
    train: normalized(limited(train, o.limitTrain, o.batchSize), spec),
    test: normalized(limited(test, o.limitTest, testBatch), spec),
  };
}

/** The first `limit` images of each pass (the last batch cut to fit). */
export function limited(loader: Loader, limit: number | undefined, batchSize: number): Loader {
  if (limit === undefined) return loader;
  return {
    get length() {
      return Math.min(loader.length, Math.ceil(limit / batchSize));
    },
    setEpoch: (e: number) => loader.setEpoch?.(e),
    *[Symbol.iterator]() {
      let seen = 0;
      for (const batch of loader) {
        if (seen >= limit) return;
        const keep = Math.min(batch.labels.length, limit - seen);
        seen += keep;
        if (keep === batch.labels.length) yield batch;
        else {
          const [, ...rest] = batch.x.shape;
          const per = batch.x.size / batch.labels.length;
          yield {
            x: tensor(batch.x.data.slice(0, keep * per), [keep, ...rest]),
            labels: batch.labels.slice(0, keep),
          };
        }
      }
    },
  };
}

/**
 * (x - mean) / std per channel, in place on each batch (NHWC: the channel is innermost). Each
 * batch is a fresh tensor from the loader, so normalizing it in place touches nothing else.
 */
export function normalized(loader: Loader, spec: Pick<DatasetSpec, 'mean' | 'std'>): Loader {
  const scale = spec.std.map((s) => 1 / s);
  return {
    get length() {
      return loader.length;
    },
    setEpoch: (e: number) => loader.setEpoch?.(e),
    *[Symbol.iterator](): Iterator<Batch> {
      for (const batch of loader) {
        const d = batch.x.data;
        const C = spec.mean.length;
        for (let i = 0; i < d.length; i++) {
          const c = i % C;
          d[i] = (d[i] - spec.mean[c]) * scale[c];
        }
        yield batch;
      }
    },
  };
}
