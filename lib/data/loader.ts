// DataLoader: batches of a Dataset as float32 NHWC tensors with Int32Array labels, a seeded
// shuffle whose permutation depends only on (seed, epoch) — so a resumed run sees the same
// order — and batch transforms on the uint8 pixels. It runs synchronously on the calling thread:
// bench/data/loader.js measures it (see lib/data/README.md).
import { checkInt, invalidRange, invalidType } from '../check';
import { defaultGenerator, Generator } from '../random';
import { empty, Tensor } from '../tensor';
import { Dataset } from './dataset';
import { ImageBatch, Transform } from './transforms';

export interface DataLoaderOptions {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** A new random order every epoch (default false). */
  shuffle?: boolean;
  /** Seed of the shuffle and of random transforms. */
  seed?: number;
  /** Without `seed`: the seed is drawn from this generator once, at construction (default: the global one, see manualSeed). */
  generator?: Generator;
  /** Drops the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Applied to each uint8 NHWC batch; uint8 left at the end is scaled by 1/255. */
  transform?: Transform;
}

export interface Batch {
  /** float32 [N, H, W, C]. */
  x: Tensor;
  labels: Int32Array;
  /** The dataset indices of the batch's samples. */
  indices: Int32Array;
}

const EPOCH_PERIOD = 2 ** 20;

export class DataLoader implements Iterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly transform: Transform | null;
  /** The seed every epoch's permutation and augmentation derive from. */
  readonly seed: number;
  /** The epoch the next iteration runs (starts at 0, +1 per iteration; see setEpoch). */
  epoch = 0;
  private sampleOutShape: [number, number, number] | null = null;

  constructor(dataset: Dataset, options: DataLoaderOptions = {}) {
    const op = 'data.DataLoader';
    if (
      dataset === null ||
      typeof dataset !== 'object' ||
      typeof dataset.get !== 'function' ||
      !Array.isArray(dataset.shape)
    )
      throw invalidType(op, 'dataset', 'a dataset { length, shape, classes, get(i) }', dataset);
    checkInt(op, 'dataset.length', dataset.length);
    if (options === null || typeof options !== 'object')
      throw invalidType(op, 'options', 'an options object', options);
    this.dataset = dataset;
    this.batchSize = checkInt(op, 'batchSize', options.batchSize ?? 1, 1);
    this.shuffle = checkBool(op, 'shuffle', options.shuffle ?? false);
    this.dropLast = checkBool(op, 'dropLast', options.dropLast ?? false);
    if (options.transform !== undefined && typeof options.transform !== 'function')
      throw invalidType(op, 'transform', 'a transform function', options.transform);
    this.transform = options.transform ?? null;
    if (options.generator !== undefined && !(options.generator instanceof Generator))
      throw invalidType(op, 'generator', 'a Generator', options.generator);
    this.seed =
      options.seed !== undefined
        ? checkInt(op, 'seed', options.seed) % 2 ** 32
        : (options.generator ?? defaultGenerator).nextUint32();
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Sets the epoch the next iteration runs (as DistributedSampler.set_epoch; e.g. on resume). */
  setEpoch(epoch: number): void {
    this.epoch = checkInt('data.DataLoader.setEpoch', 'epoch', epoch);
  }

  /** The sample order of an epoch: a permutation drawn from (seed, epoch) or 0..n-1. */
  order(epoch: number): Int32Array {
    checkInt('data.DataLoader.order', 'epoch', epoch);
    const n = this.dataset.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (!this.shuffle) return order;
    const g = this.generatorFor(epoch, 0);
    for (let i = n - 1; i > 0; i--) {
      const j = g.integer(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** One epoch's batches; iterating the loader runs this with `epoch` and then advances it. */
  *batches(epoch: number): Generator_<Batch> {
    const order = this.order(epoch);
    const augment = this.generatorFor(epoch, 1);
    const count = this.length;
    for (let b = 0; b < count; b++) {
      const indices = order.subarray(
        b * this.batchSize,
        Math.min((b + 1) * this.batchSize, order.length),
      );
      yield this.makeBatch(indices, augment);
    }
  }

  [Symbol.iterator](): Iterator<Batch> {
    const epoch = this.epoch;
    this.epoch = epoch + 1;
    return this.batches(epoch);
  }

  /** Collates samples into a uint8 batch, transforms it and returns the float32 tensor. */
  makeBatch(indices: ArrayLike<number>, generator: Generator): Batch {
    const op = 'data.DataLoader';
    const [h, w, c] = this.dataset.shape;
    const imageSize = h * w * c;
    const n = indices.length;
    const pixels = new Uint8Array(n * imageSize);
    const labels = new Int32Array(n);
    const classCount = this.dataset.classes.length;
    for (let i = 0; i < n; i++) {
      const { image, label } = this.dataset.get(indices[i]);
      if (!(image instanceof Uint8Array) || image.length !== imageSize)
        throw invalidRange(
          op,
          `dataset.get(${indices[i]}).image`,
          `a Uint8Array of ${imageSize} bytes ([${h}, ${w}, ${c}])`,
          image,
        );
      if (!Number.isInteger(label) || label < 0 || label >= classCount)
        throw invalidRange(
          op,
          `dataset.get(${indices[i]}).label`,
          `a class index in [0, ${classCount})`,
          label,
        );
      pixels.set(image, i * imageSize);
      labels[i] = label;
    }
    let batch: ImageBatch = { data: pixels, shape: [n, h, w, c] };
    // After the first batch the per-sample output shape is known: the tensor is allocated
    // first and offered to the transform, which then writes its float32 result in place.
    let x: Tensor | null = null;
    if (this.transform !== null) {
      if (this.sampleOutShape !== null) x = empty([n, ...this.sampleOutShape]);
      batch = this.transform(batch, generator, x?.data);
      const [, oh, ow, oc] = batch.shape;
      this.sampleOutShape = [oh, ow, oc];
    }
    if (x === null || x.size !== batch.data.length) {
      x?.dispose();
      x = empty(batch.shape);
    }
    const out = x.data;
    const src = batch.data;
    if (src instanceof Float32Array) {
      if (src !== out) out.set(src);
    } else for (let i = 0; i < src.length; i++) out[i] = src[i] * (1 / 255);
    return { x, labels, indices: Int32Array.from(indices) };
  }

  private generatorFor(epoch: number, stream: number): Generator {
    // One seed per (epoch, stream), below 2^53; epochs wrap at 2^20. Generator.manualSeed folds
    // the high bits (the loader seed) into the low ones, so epochs and streams never collide.
    return new Generator((this.seed * EPOCH_PERIOD + (epoch % EPOCH_PERIOD)) * 2 + stream);
  }
}

type Generator_<T> = globalThis.Generator<T, void, undefined>;

function checkBool(op: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidType(op, name, 'a boolean', value);
  return value;
}
