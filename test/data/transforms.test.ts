// Transforms against hand computations: normalize, flips, crops with padding (offsets replayed
// from the same generator), bilinear resize (corners, an interior value, identity).
import { Generator } from '../../lib';
import * as data from '../../lib/data';
import { expectThrows } from '../helpers';

const T = data.transforms;
type Batch = data.ImageBatch;

function batchOf(n: number, h: number, w: number, c: number, f: (i: number) => number): Batch {
  return { data: Uint8Array.from({ length: n * h * w * c }, (_, i) => f(i)), shape: [n, h, w, c] };
}

test('toFloat and normalize (uint8 read as x/255, float as is, per channel)', () => {
  const batch = batchOf(2, 1, 2, 3, (i) => i * 20);
  const floats = T.toFloat()(batch, new Generator(0));
  expect(floats.data).toBeInstanceOf(Float32Array);
  expect(floats.data[5]).toBeCloseTo(100 / 255, 6);
  const mean = [0.5, 0.25, 0];
  const std = [0.5, 0.25, 2];
  const fromBytes = T.normalize(mean, std)(batch, new Generator(0));
  const fromFloats = T.normalize(mean, std)(floats, new Generator(0));
  for (let i = 0; i < batch.data.length; i++) {
    const expected = (batch.data[i] / 255 - mean[i % 3]) / std[i % 3];
    expect(fromBytes.data[i]).toBeCloseTo(expected, 5);
    expect(fromFloats.data[i]).toBeCloseTo(expected, 5);
  }
  // One value for every channel.
  const single = T.normalize(0.5, 0.5)(batch, new Generator(0));
  expect(single.data[11]).toBeCloseTo((220 / 255 - 0.5) / 0.5, 5);
  expectThrows(
    () => T.normalize([0.1, 0.2], [0.1, 0.2])(batch, new Generator(0)),
    'RangeError',
    /1 or 3 values for 3 channels/,
  );
  expectThrows(
    () => T.normalize([0.1], [0]),
    'RangeError',
    /a positive number for std\[0\] but received 0/,
  );
  expectThrows(() => T.normalize([0.1], [1, 2]), 'TypeError', /an array of 1 numbers/);
});

test('randomHorizontalFlip: p = 1 mirrors rows keeping channel order, p = 0 copies', () => {
  const batch = batchOf(1, 2, 3, 2, (i) => i);
  const flipped = T.randomHorizontalFlip(1)(batch, new Generator(0));
  expect([...flipped.data]).toEqual([4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7]);
  expect([...T.randomHorizontalFlip(0)(batch, new Generator(0)).data]).toEqual([...batch.data]);
  expect([...batch.data]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]); // input untouched
  // p = 0.5: about half of many samples flip, decided per sample.
  const many = batchOf(1000, 1, 2, 1, (i) => i % 2);
  const out = T.randomHorizontalFlip(0.5)(many, new Generator(4));
  let flips = 0;
  for (let s = 0; s < 1000; s++) flips += out.data[2 * s];
  expect(flips).toBeGreaterThan(430);
  expect(flips).toBeLessThan(570);
});

test('randomCrop with padding equals a hand crop of the zero-padded image', () => {
  const [n, h, w, c] = [6, 4, 5, 2];
  const padding = 2;
  const batch = batchOf(n, h, w, c, (i) => 1 + (i % 250));
  const out = T.randomCrop([3, 4], { padding })(batch, new Generator(9));
  expect(out.shape).toEqual([n, 3, 4, c]);
  const replay = new Generator(9);
  const offsets = new Set<string>();
  for (let s = 0; s < n; s++) {
    const top = replay.integer(h + 2 * padding - 3 + 1);
    const left = replay.integer(w + 2 * padding - 4 + 1);
    offsets.add(`${top},${left}`);
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 4; x++)
        for (let k = 0; k < c; k++) {
          const sy = top + y - padding;
          const sx = left + x - padding;
          const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
          const expected = inside ? batch.data[((s * h + sy) * w + sx) * c + k] : 0;
          expect(out.data[((s * 3 + y) * 4 + x) * c + k]).toBe(expected);
        }
  }
  expect(offsets.size).toBeGreaterThan(1);
  // fill value, float input, offered output memory
  const floats = T.toFloat(1)(batch, new Generator(0));
  const offered = new Float32Array(n * 3 * 4 * c).fill(NaN);
  const filled = T.randomCrop([3, 4], { padding, fill: -1 })(floats, new Generator(9), offered);
  expect(filled.data).toBe(offered);
  for (let i = 0; i < offered.length; i++)
    expect(filled.data[i]).toBe(out.data[i] === 0 ? -1 : out.data[i]);
  expectThrows(
    () => T.randomCrop(9, { padding: 2 })(batch, new Generator(0)),
    'RangeError',
    /at most the padded image size \[8, 9\]/,
  );
});

test('resize: bilinear with half-pixel centres; corners kept; identity at the same size', () => {
  // 2x2 -> 4x4: output (0,0) clamps to input (0,0); (1,1) samples input (0.25, 0.25).
  const batch: Batch = { data: Float32Array.from([0, 10, 20, 30]), shape: [1, 2, 2, 1] };
  const out = T.resize(4)(batch, new Generator(0));
  expect(out.shape).toEqual([1, 4, 4, 1]);
  const at = (y: number, x: number) => out.data[y * 4 + x];
  expect([at(0, 0), at(0, 3), at(3, 0), at(3, 3)]).toEqual([0, 10, 20, 30]);
  expect(at(1, 1)).toBeCloseTo(0.25 * 10 + 0.25 * 20, 5); // bilinear of (0.25, 0.25)
  expect(at(0, 1)).toBeCloseTo(2.5, 5);
  expect(at(2, 1)).toBeCloseTo(0.75 * 20 + 0.25 * 10, 5);
  // 28 -> 32 on uint8, 3 channels: corners equal, values rounded, shape right.
  const img = batchOf(2, 28, 28, 3, (i) => (i * 7) % 256);
  const big = T.resize([32, 32])(img, new Generator(0));
  expect(big.data).toBeInstanceOf(Uint8Array);
  expect(big.shape).toEqual([2, 32, 32, 3]);
  for (let k = 0; k < 3; k++) {
    const inBase = 28 * 28 * 3;
    const outBase = 32 * 32 * 3;
    expect(big.data[outBase + k]).toBe(img.data[inBase + k]);
    expect(big.data[outBase + (32 * 32 - 1) * 3 + k]).toBe(
      img.data[inBase + (28 * 28 - 1) * 3 + k],
    );
  }
  // Interior value against the formula: y = (5 + 0.5) * 28/32 - 0.5 = 4.3125, x likewise for 9.
  const sy = 5.5 * (28 / 32) - 0.5;
  const sx = 9.5 * (28 / 32) - 0.5;
  const px = (y: number, x: number) => img.data[(y * 28 + x) * 3 + 1];
  const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
  const [ty, tx] = [sy - y0, sx - x0];
  const top = px(y0, x0) * (1 - tx) + px(y0, x0 + 1) * tx;
  const bottom = px(y0 + 1, x0) * (1 - tx) + px(y0 + 1, x0 + 1) * tx;
  expect(
    Math.abs(big.data[(5 * 32 + 9) * 3 + 1] - (top * (1 - ty) + bottom * ty)),
  ).toBeLessThanOrEqual(0.5 + 1e-4);
  const same = T.resize(28)(img, new Generator(0));
  expect([...same.data]).toEqual([...img.data]);
});

test('compose applies in order and offers the output memory to the last transform only', () => {
  const batch = batchOf(2, 2, 2, 1, (i) => i * 30);
  const pipeline = T.compose([T.randomHorizontalFlip(1), T.normalize(0, 1 / 255)]);
  const offered = new Float32Array(8);
  const out = pipeline(batch, new Generator(0), offered);
  expect(out.data).toBe(offered);
  expect([...out.data]).toEqual([30, 0, 90, 60, 150, 120, 210, 180]);
});

test('a seeded generator reproduces random transforms', () => {
  const batch = batchOf(16, 8, 8, 1, (i) => i % 256);
  const pipeline = T.compose([T.randomCrop(8, { padding: 2 }), T.randomHorizontalFlip()]);
  const a = pipeline(batch, new Generator(5));
  const b = pipeline(batch, new Generator(5));
  const c = pipeline(batch, new Generator(6));
  expect([...a.data]).toEqual([...b.data]);
  expect([...a.data]).not.toEqual([...c.data]);
});

test('bad batches are rejected', () => {
  const flip = T.randomHorizontalFlip();
  expectThrows(
    () => flip({ data: new Uint8Array(5), shape: [1, 2, 2, 1] }, new Generator(0)),
    'RangeError',
    /4 values for shape \[1,2,2,1\]/,
  );
  expectThrows(
    () => flip({ data: [1, 2] as unknown as Uint8Array, shape: [1, 1, 2, 1] }, new Generator(0)),
    'TypeError',
    /Uint8Array or Float32Array/,
  );
  expectThrows(() => T.randomHorizontalFlip(2), 'RangeError', /a probability in \[0, 1\]/);
  expectThrows(() => T.resize(0), 'RangeError', /an integer >= 1 for size/);
});
