import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tensor, zeros } from '../../lib';
import {
  decodeSafetensors,
  encodeSafetensors,
  inspectSafetensors,
  loadSafetensors,
  saveSafetensors,
  writeFileAtomic,
} from '../../lib/io';
import { expectThrows } from '../helpers';
import { buildFile, bytesOf, f32Bytes } from './bytes';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'safetensors');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-io-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('reading every dtype (files built byte by byte)', () => {
  const cases: [string, number, (v: DataView, i: number, x: number) => void, number[]][] = [
    ['F32', 4, (v, i, x) => v.setFloat32(i * 4, x, true), [1.5, -2, 3.25e-3, 1e30]],
    ['F64', 8, (v, i, x) => v.setFloat64(i * 8, x, true), [0.1, -1e300, 5e-324, 42]],
    ['I32', 4, (v, i, x) => v.setInt32(i * 4, x, true), [-2147483648, 2147483647, 0, -1]],
    ['I64', 8, (v, i, x) => v.setBigInt64(i * 8, BigInt(x), true), [-5, 2 ** 40, 0, 7]],
    ['U8', 1, (v, i, x) => v.setUint8(i, x), [0, 1, 128, 255]],
  ];
  test.each(cases)('%s', (dtype, size, write, values) => {
    const data = bytesOf(values.length, size, (v, i) => write(v, i, values[i]));
    const file = buildFile({ x: { dtype, shape: [2, 2], data_offsets: [0, data.length] } }, data);
    const { tensors, dtypes } = decodeSafetensors(file);
    expect(dtypes).toEqual({ x: dtype });
    expect(tensors.x.shape).toEqual([2, 2]);
    expect(Array.from(tensors.x.data)).toEqual(Array.from(new Float32Array(values)));
  });

  test('F16: normals, subnormals, zeros, infinities, NaN', () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555];
    const data = bytesOf(bits.length, 2, (v, i) => v.setUint16(i * 2, bits[i], true));
    const file = buildFile({ h: { dtype: 'F16', shape: [9], data_offsets: [0, 18] } }, data);
    const values = Array.from(decodeSafetensors(file).tensors.h.data);
    expect(values.slice(0, 7)).toEqual([1, -2, 65504, 2 ** -24, -0, Infinity, -Infinity]);
    expect(values[7]).toBeNaN();
    expect(values[8]).toBeCloseTo(1 / 3, 3);
  });

  test('BF16 is the top half of a float32', () => {
    const floats = new Float32Array([1, -3.5, 2 ** 100, -(2 ** -100)]);
    const words = new Uint32Array(floats.buffer);
    const data = bytesOf(4, 2, (v, i) => v.setUint16(i * 2, words[i] >>> 16, true));
    const file = buildFile({ b: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] } }, data);
    expect(Array.from(decodeSafetensors(file).tensors.b.data)).toEqual(Array.from(floats));
  });

  test("dtype: 'keep' returns integer entries exactly", () => {
    const i64 = bytesOf(2, 8, (v, i) => v.setBigInt64(i * 8, [2n ** 62n + 1n, -3n][i], true));
    const i32 = bytesOf(1, 4, (v) => v.setInt32(0, -9, true));
    const u8 = new Uint8Array([7, 255]);
    const f32 = f32Bytes([0.5]);
    const file = buildFile(
      {
        big: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
        f: { dtype: 'F32', shape: [], data_offsets: [16, 20] },
        i: { dtype: 'I32', shape: [1, 1], data_offsets: [20, 24] },
        u: { dtype: 'U8', shape: [2], data_offsets: [24, 26] },
      },
      Buffer.concat([i64, f32, i32, u8]),
    );
    const kept = decodeSafetensors(file, { dtype: 'keep' });
    expect(Object.keys(kept.tensors)).toEqual(['f']);
    expect(kept.tensors.f.item()).toBe(0.5);
    expect(kept.integers.big).toEqual({
      dtype: 'I64',
      shape: [2],
      data: new BigInt64Array([2n ** 62n + 1n, -3n]),
    });
    expect(kept.integers.i).toEqual({ dtype: 'I32', shape: [1, 1], data: new Int32Array([-9]) });
    expect(kept.integers.u).toEqual({ dtype: 'U8', shape: [2], data: new Uint8Array([7, 255]) });
    const floats = decodeSafetensors(file);
    expect(Object.keys(floats.integers)).toEqual([]);
    expect(Array.from(floats.tensors.big.data)).toEqual([2 ** 62, -3]);
  });

  test('unaligned data (an unpadded header) still reads', () => {
    const data = f32Bytes([1, 2, 3]);
    const file = buildFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, data, {
      pad: false,
    });
    expect((file.length - 12) % 4).not.toBe(0);
    expect(Array.from(decodeSafetensors(file).tensors.x.data)).toEqual([1, 2, 3]);
  });

  test('entries in any JSON order, tensors keyed as stored, odd names are own keys', () => {
    const file = buildFile(
      `{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},` +
        `"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`,
      f32Bytes([1, 2]),
    );
    const { tensors } = decodeSafetensors(file);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Object.keys(tensors).sort()).toEqual(['__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(tensors, '__proto__')?.value.item()).toBe(1);
    expect(tensors.b.item()).toBe(2);
  });
});

describe('the reference fixture (laid out as the reference writer does)', () => {
  const file = path.join(FIXTURES, 'reference.safetensors');
  test('every dtype, metadata, empty tensor, 0-d I64', () => {
    const { tensors, integers, dtypes, metadata } = loadSafetensors(file, { dtype: 'keep' });
    expect(metadata).toEqual({ format: 'pt', source: 'scripts/make-safetensors-fixtures.py' });
    expect(dtypes).toEqual({
      'bn1.num_batches_tracked': 'I64',
      double: 'F64',
      'conv1.weight': 'F32',
      empty: 'F32',
      index: 'I32',
      brain: 'BF16',
      half: 'F16',
      mask: 'U8',
    });
    expect(tensors['conv1.weight'].toArray()).toEqual([
      [
        [
          [0.5, -1.25],
          [2, 3],
        ],
      ],
      [
        [
          [-4, 5.5],
          [6, -7],
        ],
      ],
    ]);
    expect(integers['bn1.num_batches_tracked']).toEqual({
      dtype: 'I64',
      shape: [],
      data: new BigInt64Array([123456789012n]),
    });
    expect(Array.from(tensors.half.data)).toEqual([1.5, -2, 65504]);
    expect(Array.from(tensors.brain.data)).toEqual([1, -3.5]);
    expect(Array.from(tensors.double.data)).toEqual([Math.fround(0.1), -Infinity]);
    expect(integers.index.data).toEqual(new Int32Array([-7, 2147483647]));
    expect(integers.mask.data).toEqual(new Uint8Array([0, 1, 254, 255]));
    expect(tensors.empty.shape).toEqual([0, 3]);
    expect(tensors.empty.size).toBe(0);
  });
  test('inspect reads the header only', () => {
    const header = inspectSafetensors(file);
    expect(header.entries.map((e) => e.name)).toEqual([
      'bn1.num_batches_tracked',
      'double',
      'conv1.weight',
      'empty',
      'index',
      'brain',
      'half',
      'mask',
    ]);
    expect(header.entries[2]).toEqual({
      name: 'conv1.weight',
      dtype: 'F32',
      shape: [2, 1, 2, 2],
      dataOffsets: [24, 56],
    });
    expect(header.dataStart % 8).toBe(0);
  });
  test('the writer lays out the same entries the same way, byte for byte', () => {
    const original = fs.readFileSync(file);
    const { tensors, integers, metadata } = decodeSafetensors(original, { dtype: 'keep' });
    // Only F32 and integers can be written: compare against a file of just those, built by hand.
    const entries = {
      'conv1.weight': tensors['conv1.weight'],
      empty: tensors.empty,
      'bn1.num_batches_tracked': integers['bn1.num_batches_tracked'],
      index: integers.index,
      mask: integers.mask,
    };
    const expected = buildFile(
      `{"__metadata__":{"format":"pt","source":"scripts/make-safetensors-fixtures.py"},` +
        `"bn1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},` +
        `"conv1.weight":{"dtype":"F32","shape":[2,1,2,2],"data_offsets":[8,40]},` +
        `"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[40,40]},` +
        `"index":{"dtype":"I32","shape":[2],"data_offsets":[40,48]},` +
        `"mask":{"dtype":"U8","shape":[4],"data_offsets":[48,52]}}`,
      Buffer.concat([
        bytesOf(1, 8, (v) => v.setBigInt64(0, 123456789012n, true)),
        f32Bytes([0.5, -1.25, 2, 3, -4, 5.5, 6, -7]),
        bytesOf(2, 4, (v, i) => v.setInt32(i * 4, [-7, 2147483647][i], true)),
        new Uint8Array([0, 1, 254, 255]),
      ]),
    );
    expect(encodeSafetensors(entries, { metadata })).toEqual(expected);
  });
});

describe('round trips through the writer', () => {
  test('F32 tensors of every rank, 0-d and empty, with metadata', () => {
    const entries = {
      scalar: tensor(3.5),
      vector: tensor([1, 2, 3]),
      matrix: tensor([
        [1, 2],
        [3, 4],
      ]),
      empty: zeros([0]),
      emptyInside: zeros([2, 0, 3]),
      big: tensor(
        Float32Array.from({ length: 1000 }, (_, i) => i * 0.25 - 7),
        [10, 10, 10],
      ),
    };
    const bytes = encodeSafetensors(entries, { metadata: { format: 'pt', note: 'ünïcode ✓' } });
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = bytes.toString('utf8', 8, 8 + headerLength);
    expect(header).toMatch(/^\{"__metadata__":\{"format":"pt","note":"ünïcode ✓"\},.*\} *$/);
    expect(header.length - header.trimEnd().length).toBeLessThan(8);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    for (const [name, t] of Object.entries(entries)) {
      expect(back.tensors[name].shape).toEqual(t.shape);
      expect(back.tensors[name].data).toEqual(t.data);
      expect(back.dtypes[name]).toBe('F32');
    }
  });

  test('integer entries and dtype hints, like PyTorch num_batches_tracked', () => {
    const entries = {
      'bn.weight': tensor([1, 1]),
      'bn.num_batches_tracked': { dtype: 'I64' as const, shape: [], data: [2 ** 53 - 1] },
      'bn2.num_batches_tracked': tensor(7),
      ids: { dtype: 'I64' as const, shape: [2], data: new BigInt64Array([-(2n ** 63n), 5n]) },
      small: { dtype: 'I32' as const, shape: [2], data: [-1, 2] },
      bytes: { dtype: 'U8' as const, shape: [1, 3], data: new Uint8Array([1, 2, 3]) },
    };
    const bytes = encodeSafetensors(entries, { dtypes: { 'bn2.num_batches_tracked': 'I64' } });
    const back = decodeSafetensors(bytes, { dtype: 'keep' });
    expect(back.dtypes).toEqual({
      'bn.num_batches_tracked': 'I64',
      'bn2.num_batches_tracked': 'I64',
      ids: 'I64',
      'bn.weight': 'F32',
      small: 'I32',
      bytes: 'U8',
    });
    expect(back.integers['bn.num_batches_tracked'].data).toEqual(
      new BigInt64Array([2n ** 53n - 1n]),
    );
    expect(back.integers['bn2.num_batches_tracked']).toEqual({
      dtype: 'I64',
      shape: [],
      data: new BigInt64Array([7n]),
    });
    expect(back.integers.ids.data).toEqual(entries.ids.data);
    expect(back.integers.small.data).toEqual(new Int32Array([-1, 2]));
    expect(back.integers.bytes).toEqual(entries.bytes);
    // Widest dtypes first, then by name, as the reference writer.
    expect(Object.keys(back.dtypes)).toEqual([
      'bn.num_batches_tracked',
      'bn2.num_batches_tracked',
      'ids',
      'bn.weight',
      'small',
      'bytes',
    ]);
  });

  test('save and load files; no metadata means none written', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'save-'));
    const file = path.join(sub, 'model.safetensors');
    saveSafetensors({ w: tensor([1, 2, 3]) }, file);
    expect(fs.readFileSync(file).toString('utf8', 8, 20)).toBe('{"w":{"dtype');
    const back = loadSafetensors(file);
    expect(Array.from(back.tensors.w.data)).toEqual([1, 2, 3]);
    expect(back.metadata).toEqual({});
    expect(fs.readdirSync(sub)).toEqual(['model.safetensors']);
  });

  test('argument errors', () => {
    const w = tensor([1]);
    expectThrows(
      () => encodeSafetensors({ __metadata__: w }),
      'RangeError',
      /encodeSafetensors: expected no entry named __metadata__ \(reserved\) for entries/,
    );
    expectThrows(
      () => encodeSafetensors({ w: [1, 2] as never }),
      'TypeError',
      /expected a Tensor or an integer entry .* for entries\['w'\]/,
    );
    expectThrows(
      () => encodeSafetensors({ n: { dtype: 'I64', shape: [2], data: [1] } }),
      'RangeError',
      /expected 2 values for shape \[2\] for entries\['n'\].data but received '1 values'/,
    );
    expectThrows(
      () => encodeSafetensors({ n: { dtype: 'I64', shape: [1], data: [0.5] } }),
      'RangeError',
      /entries\['n'\] value 0/,
    );
    expectThrows(
      () => encodeSafetensors({ n: { dtype: 'U8', shape: [1], data: [256] } }),
      'RangeError',
      /an integer in \[0, 255\] for U8/,
    );
    expectThrows(
      () => encodeSafetensors({ n: { dtype: 'F16' as 'I64', shape: [1], data: [1] } }),
      'RangeError',
      /entries\['n'\].dtype/,
    );
    expectThrows(
      () => encodeSafetensors({ w }, { dtypes: { v: 'I64' } }),
      'RangeError',
      /expected the name of an entry for options.dtypes\['v'\] but received 'I64'/,
    );
    expectThrows(
      () => encodeSafetensors({ w: tensor([0.5]) }, { dtypes: { w: 'I64' } }),
      'RangeError',
      /entries\['w'\] value 0/,
    );
    expectThrows(
      () => encodeSafetensors({ w }, { metadata: { a: 1 as unknown as string } }),
      'TypeError',
      /expected a string for options.metadata\['a'\] but received 1/,
    );
    const gone = tensor([1]);
    gone.dispose();
    expectThrows(() => encodeSafetensors({ gone }), 'TypeError', /disposed/);
    expectThrows(() => saveSafetensors({ w }, 5 as never), 'TypeError', /path/);
    expectThrows(
      () => decodeSafetensors(encodeSafetensors({ w }), { dtype: 'int' as 'keep' }),
      'RangeError',
      /options.dtype/,
    );
  });
});

describe('atomic save', () => {
  const good = () => ({ w: tensor([1, 2, 3]) });
  const expectIntact = (file: string) => {
    expect(Array.from(loadSafetensors(file).tensors.w.data)).toEqual([1, 2, 3]);
  };

  test('an entry that fails to encode leaves the previous file intact', () => {
    const file = path.join(dir, 'atomic1.safetensors');
    saveSafetensors(good(), file);
    expectThrows(
      () => saveSafetensors({ w: tensor([9]), n: { dtype: 'I32', shape: [1], data: [NaN] } }, file),
      'RangeError',
      /value 0/,
    );
    const hostile = {
      w: tensor([9]),
      get x(): never {
        throw new Error('boom while encoding');
      },
    };
    expectThrows(() => saveSafetensors(hostile, file), 'Error', /boom while encoding/);
    expectIntact(file);
  });

  test('a write that fails half-way leaves the previous file and no temporary file', () => {
    const file = path.join(dir, 'atomic2.safetensors');
    saveSafetensors(good(), file);
    const before = fs.readdirSync(dir).sort();
    function* failing(): Generator<Uint8Array> {
      yield new Uint8Array(1000).fill(1);
      throw new Error('disk full');
    }
    expectThrows(() => writeFileAtomic(file, failing()), 'Error', /disk full/);
    expectIntact(file);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });

  test('an unwritable location throws the file system error', () => {
    const file = path.join(dir, 'no', 'such', 'dir', 'x.safetensors');
    expect(() => saveSafetensors(good(), file)).toThrow(/ENOENT/);
  });

  test('replaces the file a symlink points to and keeps its mode', () => {
    const real = path.join(dir, 'real.safetensors');
    const link = path.join(dir, 'link.safetensors');
    saveSafetensors({ w: tensor([0]) }, real);
    fs.chmodSync(real, 0o640);
    fs.symlinkSync(real, link);
    saveSafetensors(good(), link);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expectIntact(real);
    expect(fs.statSync(real).mode & 0o777).toBe(0o640);
  });
});
