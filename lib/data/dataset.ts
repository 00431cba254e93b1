// The dataset interface: a fixed image shape, indexed samples of uint8 HWC pixels and an integer
// label. ArrayDataset keeps a whole dataset in one Uint8Array (one byte per pixel channel: the
// 60,000 Fashion-MNIST training images take 47 MB) and hands out views, never copies.
import { checkInt, invalidRange, invalidType } from '../check';

/** Height, width, channels of every image of a dataset. */
export type ImageShape = readonly [number, number, number];

export interface Sample {
  /** H*W*C bytes, HWC order (channels innermost), as the NHWC batches they become. */
  image: Uint8Array;
  /** The class index, in [0, classes.length). */
  label: number;
}

/** What DataLoader reads. Any object of this shape works (e.g. one decoding on demand). */
export interface Dataset {
  readonly length: number;
  /** [H, W, C] of every sample. */
  readonly shape: ImageShape;
  /** Class names; labels index this list. */
  readonly classes: readonly string[];
  get(index: number): Sample;
}

export interface ArrayDatasetInit {
  /** N*H*W*C bytes: the images one after another, each HWC. */
  images: Uint8Array;
  /** N labels, each in [0, classes.length). */
  labels: Int32Array | Uint8Array | readonly number[];
  shape: ImageShape;
  classes: readonly string[];
}

/** A dataset held in memory: images in one Uint8Array, labels in an Int32Array. */
export class ArrayDataset implements Dataset {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly shape: ImageShape;
  readonly classes: readonly string[];
  readonly length: number;
  private readonly imageSize: number;

  constructor({ images, labels, shape, classes }: ArrayDatasetInit) {
    const op = 'data.ArrayDataset';
    if (!(images instanceof Uint8Array)) throw invalidType(op, 'images', 'a Uint8Array', images);
    if (!Array.isArray(shape) || shape.length !== 3)
      throw invalidType(op, 'shape', 'an array [H, W, C]', shape);
    shape.forEach((d, i) => checkInt(op, `shape[${i}]`, d, 1));
    if (!Array.isArray(classes) || classes.some((c) => typeof c !== 'string'))
      throw invalidType(op, 'classes', 'an array of class names', classes);
    if (!(labels instanceof Int32Array || labels instanceof Uint8Array || Array.isArray(labels)))
      throw invalidType(op, 'labels', 'an Int32Array, Uint8Array or array of integers', labels);
    this.imageSize = shape[0] * shape[1] * shape[2];
    this.length = labels.length;
    if (images.length !== this.length * this.imageSize)
      throw invalidRange(
        op,
        'images',
        `${this.length} images of [${shape}] (${this.length * this.imageSize} bytes)`,
        `${images.length} bytes`,
      );
    this.labels = Int32Array.from(labels as ArrayLike<number>);
    for (let i = 0; i < this.length; i++) {
      const label = this.labels[i];
      if (!(label >= 0 && label < classes.length) || label !== (labels as ArrayLike<number>)[i])
        throw invalidRange(
          op,
          `labels[${i}]`,
          `a class index in [0, ${classes.length})`,
          (labels as ArrayLike<number>)[i],
        );
    }
    this.images = images;
    this.shape = Object.freeze([shape[0], shape[1], shape[2]]) as ImageShape;
    this.classes = Object.freeze([...classes]);
  }

  get(index: number): Sample {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw invalidRange(
        'data.ArrayDataset.get',
        'index',
        `an integer in [0, ${this.length})`,
        index,
      );
    const size = this.imageSize;
    return {
      image: this.images.subarray(index * size, (index + 1) * size),
      label: this.labels[index],
    };
  }

  /** Number of samples per class (class balance at a glance). */
  classCounts(): number[] {
    const counts = new Array<number>(this.classes.length).fill(0);
    for (const label of this.labels) counts[label]++;
    return counts;
  }
}

/** The samples of `dataset` at `indices`, in that order (as torch.utils.data.Subset). */
export class Subset implements Dataset {
  readonly indices: Int32Array;
  constructor(
    readonly dataset: Dataset,
    indices: ArrayLike<number>,
  ) {
    this.indices = Int32Array.from(indices);
    for (let i = 0; i < this.indices.length; i++) {
      const index = this.indices[i];
      if (!(index >= 0 && index < dataset.length) || index !== indices[i])
        throw invalidRange(
          'data.Subset',
          `indices[${i}]`,
          `an integer in [0, ${dataset.length})`,
          indices[i],
        );
    }
  }
  get length(): number {
    return this.indices.length;
  }
  get shape(): ImageShape {
    return this.dataset.shape;
  }
  get classes(): readonly string[] {
    return this.dataset.classes;
  }
  get(index: number): Sample {
    if (!Number.isInteger(index) || index < 0 || index >= this.indices.length)
      throw invalidRange(
        'data.Subset.get',
        'index',
        `an integer in [0, ${this.indices.length})`,
        index,
      );
    return this.dataset.get(this.indices[index]);
  }
}
