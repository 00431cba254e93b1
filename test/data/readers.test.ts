// IDX and CIFAR readers on small files built here, the bundled Fashion-MNIST subset, and every
// kind of broken file: each must end in a DatasetFileError naming the file, never a crash.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Generator } from '../../lib';
import * as data from '../../lib/data';
import { expectThrows } from '../helpers';
import { cifarBytes, idxBytes, idxPair, tempDir } from './files';

const { datasets, DatasetFileError, readIdx, parseIdx, readCifarBatch, parseCifarBatch } = data;
const dir = tempDir('readers');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}

describe('IDX', () => {
  const pair = idxPair(5, 3, 4);

  test('raw and gzip files read the same dims and bytes', () => {
    const raw = readIdx(write('raw/images-idx3-ubyte', pair.images));
    const gz = readIdx(write('gz/images-idx3-ubyte.gz', zlib.gzipSync(pair.images)));
    for (const parsed of [raw, gz]) {
      expect(parsed.dims).toEqual([5, 3, 4]);
      expect([...parsed.data]).toEqual([...pair.pixels]);
    }
  });

  test('mnist() reads train and test files from a directory (raw, gz, torchvision layout)', () => {
    const root = path.join(dir, 'mnist');
    write('mnist/train-images-idx3-ubyte.gz', zlib.gzipSync(pair.images));
    write('mnist/train-labels-idx1-ubyte', pair.labelFile);
    const test = idxPair(3, 3, 4);
    write('mnist/MNIST/raw/t10k-images-idx3-ubyte', test.images);
    write('mnist/MNIST/raw/t10k-labels-idx1-ubyte.gz', zlib.gzipSync(test.labelFile));
    const train = datasets.mnist({ root });
    expect(train.length).toBe(5);
    expect(train.shape).toEqual([3, 4, 1]);
    expect(train.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const sample = train.get(2);
    expect(sample.label).toBe(2);
    expect([...sample.image]).toEqual([...pair.pixels.subarray(24, 36)]);
    const testSet = datasets.mnist({ root, train: false });
    expect(testSet.length).toBe(3);
    expect([...testSet.labels]).toEqual([0, 1, 2]);
  });

  const bad = (name: string, bytes: Uint8Array, message: RegExp) => {
    const file = write(`bad/${name}`, bytes);
    expectThrows(() => readIdx(file), 'DatasetFileError', message);
    try {
      readIdx(file);
    } catch (error) {
      expect(error).toBeInstanceOf(DatasetFileError);
      expect((error as InstanceType<typeof DatasetFileError>).file).toBe(file);
      expect((error as Error).message).toMatch(/^convkit\.data\.readIdx: /);
    }
  };

  test('malformed files: magic, type, header, truncation, trailing bytes, gzip', () => {
    bad(
      'magic',
      Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0]),
      /not an IDX file \(magic number 0x504b0304\)/,
    );
    bad('type', idxBytes([2], [1, 2], 0x0d), /data type 0x0d \(float32\) is not supported/);
    bad('empty', Buffer.alloc(0), /truncated header \(0 bytes\)/);
    bad(
      'short-header',
      pair.images.subarray(0, 10),
      /truncated header: 3 dimensions need 16 bytes/,
    );
    bad(
      'truncated',
      pair.images.subarray(0, pair.images.length - 1),
      /need 60 data bytes, the file has 59 \(truncated\?\)/,
    );
    bad(
      'trailing',
      Buffer.concat([pair.images, Buffer.from([1])]),
      /need 60 data bytes, the file has 61/,
    );
    bad(
      'huge-dims',
      idxBytes([0xffffffff, 0xffffffff, 0xffffffff], []),
      /need more than 0 data bytes/,
    );
    bad('gzip', zlib.gzipSync(pair.images).subarray(0, 30), /corrupt gzip data/);
    bad('zero-dims', Buffer.from([0, 0, 8, 0]), /0 dimensions/);
  });

  test('a missing file or directory is a DatasetFileError with the system code', () => {
    const missing = path.join(dir, 'nope-idx3-ubyte');
    expectThrows(
      () => readIdx(missing),
      'DatasetFileError',
      /nope-idx3-ubyte: cannot read the file \(no such file\)/,
    );
    try {
      readIdx(missing);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
    }
    expectThrows(
      () => datasets.mnist({ root: path.join(dir, 'nowhere') }),
      'DatasetFileError',
      /no such directory/,
    );
    expectThrows(
      () => datasets.mnist({ root: path.join(dir, 'bad') }),
      'DatasetFileError',
      /no train-images-idx3-ubyte\[\.gz\] found/,
    );
    expectThrows(
      () => datasets.mnist({ root: 7 as unknown as string }),
      'TypeError',
      /expected a directory path for root but received 7/,
    );
  });

  test('images and labels that do not match each other', () => {
    const root = (name: string) => path.join(dir, 'pairs', name);
    const make = (name: string, images: Uint8Array, labels: Uint8Array) => {
      write(`pairs/${name}/train-images-idx3-ubyte`, images);
      write(`pairs/${name}/train-labels-idx1-ubyte`, labels);
    };
    make('count', pair.images, idxBytes([4], [0, 1, 2, 3]));
    expectThrows(
      () => datasets.mnist({ root: root('count') }),
      'DatasetFileError',
      /4 labels for the 5 images/,
    );
    make('range', pair.images, idxBytes([5], [0, 1, 10, 3, 4]));
    expectThrows(
      () => datasets.mnist({ root: root('range') }),
      'DatasetFileError',
      /label 10 of sample 2 is out of range \[0, 10\)/,
    );
    make('rank', idxBytes([60], pair.pixels), pair.labelFile);
    expectThrows(
      () => datasets.mnist({ root: root('rank') }),
      'DatasetFileError',
      /expected images \[N, H, W\] but the file holds \[60\]/,
    );
  });

  test('fuzz: random byte changes of a valid file parse or throw a DatasetFileError', () => {
    const generator = new Generator(3);
    const originals = [pair.images, zlib.gzipSync(pair.images), pair.labelFile];
    let rejected = 0;
    for (let trial = 0; trial < 600; trial++) {
      const source = originals[trial % originals.length];
      let bytes = Buffer.from(source);
      const edits = 1 + generator.integer(4);
      for (let e = 0; e < edits; e++) {
        const at = generator.integer(bytes.length);
        // Mostly the first bytes (header, gzip header), where corruption matters.
        const position = generator.uniform() < 0.7 ? at % Math.min(24, bytes.length) : at;
        bytes[position] = generator.integer(256);
      }
      if (trial % 5 === 0) bytes = bytes.subarray(0, generator.integer(bytes.length + 1));
      try {
        const parsed = parseIdx(bytes, 'fuzz');
        expect(parsed.data.length).toBe(parsed.dims.reduce((a, b) => a * b, 1));
      } catch (error) {
        expect((error as Error).name).toBe('DatasetFileError');
        expect((error as Error).message).toMatch(/^convkit\.data\.readIdx: fuzz: /);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(100);
    // Random bytes from scratch, too.
    for (let trial = 0; trial < 200; trial++) {
      const bytes = Buffer.from(
        Array.from({ length: generator.integer(64) }, () => generator.integer(256)),
      );
      try {
        parseIdx(bytes, 'noise');
      } catch (error) {
        expect((error as Error).name).toBe('DatasetFileError');
      }
    }
  });
});

describe('CIFAR', () => {
  test('CIFAR-10 records: labels, planar -> HWC', () => {
    const batch = parseCifarBatch(cifarBytes([[3], [9], [0]]), 'cifar10');
    expect([...batch.labels]).toEqual([3, 9, 0]);
    expect(batch.coarseLabels).toBeNull();
    // image 1, pixel (y=2, x=5) = planar index 69: R, G, B = (1 + 7c + 69) % 256
    const at = 3072 + (2 * 32 + 5) * 3;
    expect([...batch.images.subarray(at, at + 3)]).toEqual([70, 77, 84]);
  });

  test('CIFAR-100 records: coarse and fine labels', () => {
    const batch = parseCifarBatch(
      cifarBytes([
        [19, 99],
        [0, 42],
      ]),
      'cifar100',
    );
    expect([...batch.labels]).toEqual([99, 42]);
    expect([...batch.coarseLabels!]).toEqual([19, 0]);
  });

  test('cifar10() and cifar100() read the archive layouts', () => {
    const root10 = path.join(dir, 'c10');
    for (let i = 1; i <= 5; i++)
      write(`c10/cifar-10-batches-bin/data_batch_${i}.bin`, cifarBytes([[i], [i + 1]]));
    write('c10/cifar-10-batches-bin/test_batch.bin', cifarBytes([[7]]));
    const train = datasets.cifar10({ root: root10 });
    expect(train.length).toBe(10);
    expect(train.shape).toEqual([32, 32, 3]);
    expect([...train.labels]).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    expect(train.classes[0]).toBe('airplane');
    expect(datasets.cifar10({ root: root10, train: false }).length).toBe(1);

    write(
      'c100/train.bin',
      cifarBytes([
        [4, 30],
        [5, 55],
      ]),
    );
    const fine = datasets.cifar100({ root: path.join(dir, 'c100') });
    expect([...fine.labels]).toEqual([30, 55]);
    expect(fine.classes.length).toBe(100);
    expect(fine.classes[30]).toBe('dolphin');
    const coarse = datasets.cifar100({ root: path.join(dir, 'c100'), labels: 'coarse' });
    expect([...coarse.labels]).toEqual([4, 5]);
    expect(coarse.classes.length).toBe(20);
  });

  test('malformed batches', () => {
    const file = write('cbad/truncated.bin', cifarBytes([[1], [2]]).subarray(0, 5000));
    expectThrows(
      () => readCifarBatch(file),
      'DatasetFileError',
      /5000 bytes is not a whole number of CIFAR-10 records \(3073 bytes each\); truncated/,
    );
    const wrongLabel = write('cbad/label.bin', cifarBytes([[1], [12]]));
    expectThrows(
      () => readCifarBatch(wrongLabel),
      'DatasetFileError',
      /record 1: label 12 is out of range \[0, 10\)/,
    );
    const coarse = write('cbad/coarse.bin', cifarBytes([[25, 1]]));
    expectThrows(
      () => readCifarBatch(coarse, 'cifar100'),
      'DatasetFileError',
      /coarse label 25 is out of range \[0, 20\)/,
    );
    expectThrows(
      () => readCifarBatch(path.join(dir, 'cbad/none.bin')),
      'DatasetFileError',
      /no such file/,
    );
    expectThrows(
      () => datasets.cifar10({ root: path.join(dir, 'cbad') }),
      'DatasetFileError',
      /data_batch_1\.bin: cannot read the file/,
    );
    expectThrows(() => parseCifarBatch(Buffer.alloc(0), 'cifar10'), 'DatasetFileError', /0 bytes/);
  });
});

describe('bundled Fashion-MNIST subset', () => {
  test.each([
    [true, 10000, 1000],
    [false, 2000, 200],
  ])('train=%s: %i images, %i per class, 28x28x1 uint8', (train, count, perClass) => {
    const set = datasets.fashionMnist({ train });
    expect(set.length).toBe(count);
    expect(set.shape).toEqual([28, 28, 1]);
    expect(set.images.length).toBe(count * 784);
    expect(set.classes[0]).toBe('T-shirt/top');
    expect(set.classCounts()).toEqual(new Array(10).fill(perClass));
    const histogram = new Float64Array(256);
    const images = set.images;
    for (let i = 0; i < images.length; i++) histogram[images[i]]++;
    const min = histogram.findIndex((count) => count > 0);
    const max = 255 - [...histogram].reverse().findIndex((count) => count > 0);
    const sum = histogram.reduce((s, count, value) => s + count * value, 0);
    expect(min).toBe(0);
    expect(max).toBe(255);
    // Fashion-MNIST's pixel mean is 0.286 (of 255).
    expect(sum / set.images.length / 255).toBeCloseTo(0.286, 1);
    // Classes are interleaved (original order), not sorted.
    expect(new Set(set.labels.subarray(0, 50)).size).toBeGreaterThan(5);
  });
});
