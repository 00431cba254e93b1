// DataLoader: batch shapes and contents, length and dropLast, seeded epoch-dependent shuffles
// that reproduce (also after setEpoch), reproducible augmentation, and argument checks.
import { Generator, manualSeed } from '../../lib';
import * as data from '../../lib/data';
import { expectThrows } from '../helpers';

const T = data.transforms;

/** 10 images of 2x3x1 whose pixels are all the sample index; labels index % 3. */
function small(n = 10): data.ArrayDataset {
  const images = new Uint8Array(n * 6);
  for (let i = 0; i < n; i++) images.fill(i * 10, i * 6, (i + 1) * 6);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return new data.ArrayDataset({ images, labels, shape: [2, 3, 1], classes: ['a', 'b', 'c'] });
}

function epochIndices(loader: data.DataLoader): number[] {
  const out: number[] = [];
  for (const batch of loader) out.push(...batch.indices);
  return out;
}

test('batches: float32 NHWC scaled by 1/255, labels, indices, a short last batch', () => {
  const loader = new data.DataLoader(small(), { batchSize: 4 });
  expect(loader.length).toBe(3);
  const batches = [...loader];
  expect(batches.map((b) => b.x.shape)).toEqual([
    [4, 2, 3, 1],
    [4, 2, 3, 1],
    [2, 2, 3, 1],
  ]);
  const second = batches[1];
  expect([...second.indices]).toEqual([4, 5, 6, 7]);
  expect([...second.labels]).toEqual([1, 2, 0, 1]);
  expect(second.labels).toBeInstanceOf(Int32Array);
  expect(second.x.data[6]).toBeCloseTo(50 / 255, 6);
  expect(second.x.data[23]).toBeCloseTo(70 / 255, 6);
});

test('dropLast drops the short batch; length follows', () => {
  const loader = new data.DataLoader(small(), { batchSize: 4, dropLast: true });
  expect(loader.length).toBe(2);
  expect([...loader].length).toBe(2);
  expect(new data.DataLoader(small(), { batchSize: 5, dropLast: true }).length).toBe(2);
  expect(new data.DataLoader(small(), { batchSize: 20, dropLast: true }).length).toBe(0);
  expect(new data.DataLoader(small(), { batchSize: 20 }).length).toBe(1);
});

test('shuffle: a permutation per epoch, different across epochs, reproducible from the seed', () => {
  const dataset = small(50);
  const a = new data.DataLoader(dataset, { batchSize: 8, shuffle: true, seed: 7 });
  const epoch0 = epochIndices(a);
  const epoch1 = epochIndices(a);
  expect(a.epoch).toBe(2);
  expect([...epoch0].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  expect(epoch0).not.toEqual(epoch1);
  expect(epoch0).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  const b = new data.DataLoader(dataset, { batchSize: 8, shuffle: true, seed: 7 });
  expect(epochIndices(b)).toEqual(epoch0);
  b.setEpoch(1); // resuming at epoch 1 sees the same order
  expect(epochIndices(b)).toEqual(epoch1);
  expect([...a.order(1)]).toEqual(epoch1);
  const c = new data.DataLoader(dataset, { batchSize: 8, shuffle: true, seed: 8 });
  expect(epochIndices(c)).not.toEqual(epoch0);
  // Without shuffle the order is the dataset's.
  expect(epochIndices(new data.DataLoader(dataset, { batchSize: 8 }))).toEqual(
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test('the seed comes from a generator or the global seed when not given', () => {
  const dataset = small(30);
  const fromGenerator = (seed: number) =>
    epochIndices(new data.DataLoader(dataset, { shuffle: true, generator: new Generator(seed) }));
  expect(fromGenerator(1)).toEqual(fromGenerator(1));
  expect(fromGenerator(1)).not.toEqual(fromGenerator(2));
  manualSeed(3);
  const first = epochIndices(new data.DataLoader(dataset, { shuffle: true }));
  manualSeed(3);
  expect(epochIndices(new data.DataLoader(dataset, { shuffle: true }))).toEqual(first);
});

test('augmentation is reproducible per (seed, epoch), and its output memory is the batch', () => {
  const dataset = data.datasets.fashionMnist({ train: false });
  const transform = T.compose([
    T.randomCrop(28, { padding: 2 }),
    T.randomHorizontalFlip(),
    T.normalize([0.286], [0.353]),
  ]);
  const run = (seed: number) => {
    const loader = new data.DataLoader(dataset, { batchSize: 64, shuffle: true, seed, transform });
    const batches = [...loader].slice(0, 3);
    return batches.map((b) => Array.from(b.x.data.subarray(0, 2000)));
  };
  const a = run(1);
  expect(run(1)).toEqual(a);
  expect(run(2)).not.toEqual(a);
  // Normalized values: (0/255 - 0.286) / 0.353 is the minimum (padding and black pixels).
  const values = a.flat();
  expect(Math.min(...values)).toBeCloseTo(-0.286 / 0.353, 5);
  expect(Math.max(...values)).toBeLessThanOrEqual((1 - 0.286) / 0.353 + 1e-5);
  // A resize to 32 changes the batch shape.
  const resized = new data.DataLoader(dataset, { batchSize: 5, transform: T.resize(32) });
  const [first] = resized;
  expect(first.x.shape).toEqual([5, 32, 32, 1]);
});

test('Subset and custom datasets; bad samples and arguments are reported', () => {
  const subset = new data.Subset(small(), [9, 0, 5]);
  const [batch] = new data.DataLoader(subset, { batchSize: 3 });
  expect([...batch.labels]).toEqual([0, 0, 2]);
  expect(batch.x.data[0]).toBeCloseTo(90 / 255, 6);
  const broken: data.Dataset = {
    length: 2,
    shape: [2, 2, 1],
    classes: ['x'],
    get: (i) => ({ image: new Uint8Array(i === 0 ? 4 : 3), label: 0 }),
  };
  expectThrows(
    () => [...new data.DataLoader(broken, { batchSize: 2 })],
    'RangeError',
    /dataset\.get\(1\)\.image/,
  );
  expectThrows(
    () => new data.DataLoader(small(), { batchSize: 0 }),
    'RangeError',
    /an integer >= 1 for batchSize but received 0/,
  );
  expectThrows(() => new data.DataLoader({} as data.Dataset), 'TypeError', /a dataset/);
  expectThrows(
    () => new data.DataLoader(small(), { shuffle: 1 as unknown as boolean }),
    'TypeError',
    /a boolean for shuffle/,
  );
  expectThrows(
    () => small().get(10),
    'RangeError',
    /an integer in \[0, 10\) for index but received 10/,
  );
  expectThrows(
    () =>
      new data.ArrayDataset({
        images: new Uint8Array(6),
        labels: [3],
        shape: [2, 3, 1],
        classes: ['a'],
      }),
    'RangeError',
    /a class index in \[0, 1\) for labels\[0\] but received 3/,
  );
});
