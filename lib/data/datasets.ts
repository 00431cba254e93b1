// Ready-made datasets from local files: MNIST and Fashion-MNIST (IDX, raw or gzip), CIFAR-10 and
// CIFAR-100 (binary batches). Fashion-MNIST defaults to the stratified subset bundled under
// data/fashion-mnist/ (10,000 train / 2,000 test), so examples run without a download.
import * as fs from 'fs';
import * as path from 'path';
import { invalidRange, invalidType } from '../check';
import { CifarVariant, readCifarBatch } from './cifar';
import { ArrayDataset } from './dataset';
import { DatasetFileError, findFile } from './files';
import { readIdx } from './idx';

export { imageFolder } from './image_folder';
export type { ImageFolderOptions, ImageDecoder, DecodedImage } from './image_folder';

export interface IdxDatasetOptions {
  /**
   * Directory with the four IDX files (`train-images-idx3-ubyte[.gz]`, ...), or one holding
   * them under `FashionMNIST/raw` / `MNIST/raw` (torchvision's layout).
   */
  root?: string;
  /** The training split (default) or the test split. */
  train?: boolean;
}

export interface CifarOptions {
  /** Directory with the binary batches, or its parent (`cifar-10-batches-bin`, `cifar-100-binary`). */
  root: string;
  train?: boolean;
}

export interface Cifar100Options extends CifarOptions {
  /** 'fine' (100 classes, default) or 'coarse' (20 superclasses). */
  labels?: 'fine' | 'coarse';
}

export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

export const MNIST_CLASSES: readonly string[] = Object.freeze(
  Array.from({ length: 10 }, (_, i) => String(i)),
);

export const CIFAR10_CLASSES: readonly string[] = Object.freeze(
  'airplane automobile bird cat deer dog frog horse ship truck'.split(' '),
);

export const CIFAR100_CLASSES: readonly string[] = Object.freeze(
  (
    'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus ' +
    'butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch ' +
    'crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo ' +
    'keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse ' +
    'mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy ' +
    'porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper ' +
    'snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television ' +
    'tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm'
  ).split(' '),
);

export const CIFAR100_COARSE_CLASSES: readonly string[] = Object.freeze(
  (
    'aquatic_mammals fish flowers food_containers fruit_and_vegetables ' +
    'household_electrical_devices household_furniture insects large_carnivores ' +
    'large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores ' +
    'medium_mammals non-insect_invertebrates people reptiles small_mammals trees vehicles_1 vehicles_2'
  ).split(' '),
);

/** The Fashion-MNIST subset bundled with the package (data/fashion-mnist/). */
export const BUNDLED_FASHION_MNIST = path.resolve(__dirname, '..', '..', 'data', 'fashion-mnist');

function checkOptions(op: string, options: unknown): Record<string, unknown> {
  if (options === null || typeof options !== 'object')
    throw invalidType(op, 'options', 'an options object', options);
  return options as Record<string, unknown>;
}

function checkRoot(op: string, root: unknown): string {
  if (typeof root !== 'string') throw invalidType(op, 'root', 'a directory path', root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory())
    throw new DatasetFileError(op, root, 'no such directory', 'ENOENT');
  return root;
}

/** The file `base` (raw, .gz, or with MNIST's `.idx` dot spelling) in root or torchvision's raw/. */
function locateIdx(op: string, root: string, base: string, subdirs: readonly string[]): string {
  const names = [
    base,
    `${base}.gz`,
    base.replace('-idx', '.idx'),
    `${base.replace('-idx', '.idx')}.gz`,
  ];
  const dirs = [root, ...subdirs.map((d) => path.join(root, d, 'raw'))];
  for (const dir of dirs) {
    const file = findFile(dir, names);
    if (file !== null) return file;
  }
  throw new DatasetFileError(
    op,
    root,
    `no ${base}[.gz] found (looked in ${dirs.map((d) => `'${d}'`).join(', ')})`,
    'ENOENT',
  );
}

/** Images + labels from two IDX files, checked against each other. */
export function loadIdxDataset(
  op: string,
  imagesFile: string,
  labelsFile: string,
  classes: readonly string[],
): ArrayDataset {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  if (images.dims.length !== 3)
    throw new DatasetFileError(
      op,
      imagesFile,
      `expected images [N, H, W] but the file holds [${images.dims}]`,
    );
  if (labels.dims.length !== 1)
    throw new DatasetFileError(
      op,
      labelsFile,
      `expected labels [N] but the file holds [${labels.dims}]`,
    );
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n)
    throw new DatasetFileError(
      op,
      labelsFile,
      `${labels.dims[0]} labels for the ${n} images of ${path.basename(imagesFile)}`,
    );
  if (h === 0 || w === 0)
    throw new DatasetFileError(op, imagesFile, `empty images of ${h}x${w} pixels`);
  for (let i = 0; i < n; i++)
    if (labels.data[i] >= classes.length)
      throw new DatasetFileError(
        op,
        labelsFile,
        `label ${labels.data[i]} of sample ${i} is out of range [0, ${classes.length})`,
      );
  // Own copies: the parsed arrays are views into the (larger) file buffers.
  return new ArrayDataset({
    images: images.data.slice(),
    labels: labels.data,
    shape: [h, w, 1],
    classes,
  });
}

function idxDataset(
  op: string,
  options: IdxDatasetOptions,
  defaultRoot: string | undefined,
  subdirs: readonly string[],
  classes: readonly string[],
): ArrayDataset {
  const opts = checkOptions(op, options);
  const root = checkRoot(op, opts.root ?? defaultRoot);
  const train = opts.train ?? true;
  if (typeof train !== 'boolean') throw invalidType(op, 'train', 'a boolean', train);
  const prefix = train ? 'train' : 't10k';
  return loadIdxDataset(
    op,
    locateIdx(op, root, `${prefix}-images-idx3-ubyte`, subdirs),
    locateIdx(op, root, `${prefix}-labels-idx1-ubyte`, subdirs),
    classes,
  );
}

/**
 * Fashion-MNIST (28x28x1, 10 classes). Without `root`: the bundled stratified subset (10,000
 * train / 2,000 test images, 1,000 / 200 per class); with `root`: the full set in that directory
 * (e.g. Debian's dataset-fashion-mnist: /usr/share/datasets/fashion-mnist).
 */
export function fashionMnist(options: IdxDatasetOptions = {}): ArrayDataset {
  return idxDataset(
    'data.datasets.fashionMnist',
    options,
    BUNDLED_FASHION_MNIST,
    ['FashionMNIST'],
    FASHION_MNIST_CLASSES,
  );
}

/** MNIST (28x28x1, 10 classes) from a local directory. */
export function mnist(options: IdxDatasetOptions & { root: string }): ArrayDataset {
  return idxDataset('data.datasets.mnist', options, undefined, ['MNIST'], MNIST_CLASSES);
}

function readClassNames(file: string | null, fallback: readonly string[]): readonly string[] {
  if (file === null) return fallback;
  const names = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return names.length === fallback.length ? Object.freeze(names) : fallback;
}

function cifarDataset(
  op: string,
  options: CifarOptions,
  variant: CifarVariant,
  coarse: boolean,
): ArrayDataset {
  const opts = checkOptions(op, options);
  let root = checkRoot(op, opts.root);
  const train = opts.train ?? true;
  if (typeof train !== 'boolean') throw invalidType(op, 'train', 'a boolean', train);
  const inner = path.join(
    root,
    variant === 'cifar10' ? 'cifar-10-batches-bin' : 'cifar-100-binary',
  );
  if (fs.existsSync(inner) && fs.statSync(inner).isDirectory()) root = inner;
  const names =
    variant === 'cifar10'
      ? train
        ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`)
        : ['test_batch.bin']
      : [train ? 'train.bin' : 'test.bin'];
  const batches = names.map((name) => readCifarBatch(path.join(root, name), variant));
  const count = batches.reduce((sum, b) => sum + b.labels.length, 0);
  const images = new Uint8Array(count * 32 * 32 * 3);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const batch of batches) {
    images.set(batch.images, at * 32 * 32 * 3);
    labels.set(coarse ? batch.coarseLabels! : batch.labels, at);
    at += batch.labels.length;
  }
  const classes =
    variant === 'cifar10'
      ? readClassNames(findFile(root, ['batches.meta.txt']), CIFAR10_CLASSES)
      : coarse
        ? readClassNames(findFile(root, ['coarse_label_names.txt']), CIFAR100_COARSE_CLASSES)
        : readClassNames(findFile(root, ['fine_label_names.txt']), CIFAR100_CLASSES);
  return new ArrayDataset({ images, labels, shape: [32, 32, 3], classes });
}

/** CIFAR-10 (32x32x3, 10 classes) from the binary batches in `root`. */
export function cifar10(options: CifarOptions): ArrayDataset {
  return cifarDataset('data.datasets.cifar10', options, 'cifar10', false);
}

/** CIFAR-100 (32x32x3, 100 fine classes or 20 coarse ones) from `root`. */
export function cifar100(options: Cifar100Options): ArrayDataset {
  const op = 'data.datasets.cifar100';
  const labels = checkOptions(op, options).labels ?? 'fine';
  if (labels !== 'fine' && labels !== 'coarse')
    throw (typeof labels === 'string' ? invalidRange : invalidType)(
      op,
      'labels',
      "'fine' or 'coarse'",
      labels,
    );
  return cifarDataset(op, options, 'cifar100', labels === 'coarse');
}
