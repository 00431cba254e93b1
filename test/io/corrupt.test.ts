// Hostile files are normal input: each malformed file gets its own SafetensorsError naming the
// file and the tensor, in the reference reader's order of checks; nothing else may escape.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Generator } from '../../lib/random';
import {
  decodeSafetensors,
  loadSafetensors,
  MAX_HEADER_LENGTH,
  SafetensorsError,
} from '../../lib/io';
import { expectThrows } from '../helpers';
import { buildFile, f32Bytes } from './bytes';

const REFERENCE = path.join(__dirname, '..', 'fixtures', 'safetensors', 'reference.safetensors');

/** expectThrows for the library's file error (helpers.ts names only the built-in classes). */
function expectCorrupt(bytes: Uint8Array, message: RegExp, tensor: string | null = null): void {
  const name = 'w.safetensors';
  expectThrows(
    () => decodeSafetensors(bytes, { name }),
    'SafetensorsError' as 'Error',
    new RegExp(`^convkit\\.decodeSafetensors: w\\.safetensors: ${message.source}`),
  );
  try {
    decodeSafetensors(bytes, { name });
  } catch (error) {
    expect(error).toBeInstanceOf(SafetensorsError);
    expect((error as SafetensorsError).file).toBe(name);
    expect((error as SafetensorsError).tensor).toBe(tensor);
  }
}

const entry = (dtype: unknown, shape: unknown, offsets: unknown) => ({
  dtype,
  shape,
  data_offsets: offsets,
});

describe('each check has its own error', () => {
  test('file shorter than 8 bytes', () => {
    expectCorrupt(new Uint8Array(0), /the file is 0 bytes, too short for the 8-byte header length/);
    expectCorrupt(new Uint8Array(7), /the file is 7 bytes/);
  });
  test('header length over the limit, compared before conversion', () => {
    const huge = buildFile('{}', undefined, { length: 2n ** 64n - 1n });
    expectCorrupt(huge, /the header length 18446744073709551615 exceeds the limit of 100000000/);
    const over = buildFile('{}', undefined, { length: BigInt(MAX_HEADER_LENGTH) + 1n });
    expectCorrupt(over, /the header length 100000001 exceeds the limit/);
  });
  test('header length past the end of the file', () => {
    expectCorrupt(
      buildFile('{}', undefined, { length: 9n }),
      /the header length 9 runs past the end of the file \(8 \+ 9 > 16 bytes\)/,
    );
    // A file truncated inside its header.
    const valid = fs.readFileSync(REFERENCE);
    expectCorrupt(valid.subarray(0, 100), /the header length 584 runs past the end/);
  });
  test('header not UTF-8', () => {
    const bytes = buildFile('{"a":1}   ');
    bytes[10] = 0xff;
    expectCorrupt(bytes, /the header is not valid UTF-8$/);
    const overlong = Buffer.concat([buildFile('{"a":"'), Buffer.from([0xc0, 0xaf])]);
    overlong.writeBigUInt64LE(BigInt(overlong.length - 8));
    expectCorrupt(overlong, /the header is not valid UTF-8$/);
  });
  test('header not JSON', () => {
    expectCorrupt(buildFile('{"a": '), /the header is not valid JSON \(.+\)$/);
    expectCorrupt(buildFile(''), /the header is not valid JSON/);
  });
  test('header JSON but not an object', () => {
    expectCorrupt(buildFile('[]'), /the header is an array, not a JSON object$/);
    expectCorrupt(buildFile('null'), /the header is null, not a JSON object$/);
    expectCorrupt(buildFile('"x"'), /the header is a string, not a JSON object$/);
  });
  test('entry not an object', () => {
    expectCorrupt(buildFile({ w: [1] }), /tensor 'w': the entry is an array, not an object$/, 'w');
  });
  test('unknown or missing dtype', () => {
    expectCorrupt(
      buildFile({ w: entry('F8_E4M3', [1], [0, 1]) }, new Uint8Array(1)),
      /tensor 'w': unknown dtype "F8_E4M3" \(convkit reads F64, F32, F16, BF16, I64, I32, U8\)$/,
      'w',
    );
    expectCorrupt(
      buildFile({ w: { shape: [], data_offsets: [0, 0] } }),
      /tensor 'w': unknown dtype undefined/,
      'w',
    );
    expectCorrupt(
      buildFile({ w: entry('toString', [], [0, 0]) }),
      /tensor 'w': unknown dtype "toString"/,
      'w',
    );
  });
  test('shape not non-negative integers', () => {
    const bad = [[-1], [1.5], ['2'], null, 3, [2 ** 53], [[1]]];
    for (const shape of bad)
      expectCorrupt(
        buildFile({ w: entry('F32', shape, [0, 0]) }),
        /tensor 'w': the shape .* is not an array of non-negative integers$/,
        'w',
      );
  });
  test('data_offsets not a pair of non-negative integers', () => {
    for (const offsets of [[0], [0, 1, 2], [-4, 0], [0, 0.5], ['0', '4'], null, [0, 2 ** 60]])
      expectCorrupt(
        buildFile({ w: entry('F32', [1], offsets) }),
        /tensor 'w': data_offsets .* is not a pair \[begin, end\] of non-negative integers$/,
        'w',
      );
  });
  test('offsets out of order (end before begin)', () => {
    expectCorrupt(
      buildFile({ w: entry('F32', [1], [4, 0]) }, new Uint8Array(4)),
      /tensor 'w': data_offsets \[4, 0\] ends before it begins$/,
      'w',
    );
  });
  test('first tensor not at 0, gaps, overlaps', () => {
    const data = new Uint8Array(16);
    expectCorrupt(
      buildFile({ w: entry('F32', [1], [4, 8]) }, data),
      /tensor 'w': the first tensor's data starts at byte 4, not at 0$/,
      'w',
    );
    expectCorrupt(
      buildFile({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, data),
      /tensor 'b': data starts at byte 8, leaving a gap after the previous tensor, which ends at byte 4$/,
      'b',
    );
    expectCorrupt(
      buildFile({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, data),
      /tensor 'b': data starts at byte 4, overlapping the previous tensor, which ends at byte 8$/,
      'b',
    );
    // The same bytes claimed twice.
    expectCorrupt(
      buildFile({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [0, 4]) }, data),
      /tensor 'b': data starts at byte 0, overlapping the previous tensor, which ends at byte 4$/,
      'b',
    );
  });
  test('size of shape x dtype not the byte span (no overflow for huge shapes)', () => {
    expectCorrupt(
      buildFile({ w: entry('F32', [2, 3], [0, 20]) }, new Uint8Array(20)),
      /tensor 'w': shape \[2,3\] of F32 needs 24 bytes but data_offsets \[0, 20\] span 20$/,
      'w',
    );
    const max = Number.MAX_SAFE_INTEGER;
    expectCorrupt(
      buildFile({ w: entry('F64', [max, max, max], [0, 8]) }, new Uint8Array(8)),
      new RegExp(
        `tensor 'w': shape \\[${[max, max, max]}\\] of F64 needs ${8n * BigInt(max) ** 3n} bytes`,
      ),
      'w',
    );
    // 2^32 * 2^32 * 4 wraps to 0 in 64-bit arithmetic: must still be rejected.
    expectCorrupt(
      buildFile({ w: entry('F32', [2 ** 32, 2 ** 32], [0, 0]) }),
      /tensor 'w': shape \[4294967296,4294967296\] of F32 needs 73786976294838206464 bytes but data_offsets \[0, 0\] span 0$/,
      'w',
    );
  });
  test('data truncated or trailing bytes', () => {
    expectCorrupt(
      buildFile({ w: entry('F32', [2], [0, 8]) }, new Uint8Array(4)),
      /the data ends at byte 8 but only 4 bytes follow the header \(truncated file\)$/,
    );
    expectCorrupt(
      buildFile({ w: entry('F32', [2], [0, 8]) }, new Uint8Array(9)),
      /the data ends at byte 8 but 9 bytes follow the header \(1 trailing bytes\)$/,
    );
    expectCorrupt(buildFile({}, new Uint8Array(1)), /the data ends at byte 0 but 1 bytes follow/);
  });
  test('metadata not a string map', () => {
    expectCorrupt(
      buildFile({ __metadata__: ['a'] }),
      /__metadata__ is an array, not an object of strings$/,
    );
    expectCorrupt(
      buildFile({ __metadata__: 'a' }),
      /__metadata__ is a string, not an object of strings$/,
    );
    expectCorrupt(
      buildFile({ __metadata__: { format: 'pt', epoch: 3 } }),
      /__metadata__ 'epoch' is a number, not a string$/,
    );
    expectCorrupt(
      buildFile({ __metadata__: { a: null } }),
      /__metadata__ 'a' is null, not a string$/,
    );
  });
  test('the file path is named, and long or odd tensor names are shown escaped and cut', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convkit-corrupt-'));
    try {
      const file = path.join(dir, 'bad.safetensors');
      const name = `x\n${'y'.repeat(300)}`;
      fs.writeFileSync(file, buildFile({ [name]: entry('F32', [1], [0, 3]) }, new Uint8Array(3)));
      expectThrows(
        () => loadSafetensors(file),
        'SafetensorsError' as 'Error',
        new RegExp(
          `^convkit\\.loadSafetensors: ${file.replace(/[.\\]/g, '\\$&')}: tensor 'x\\\\ny{198}\\.\\.\\.': shape \\[1\\] of F32 needs 4 bytes`,
        ),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what the reference accepts is accepted', () => {
  test('an empty header, null metadata, extra entry fields, header whitespace', () => {
    expect(decodeSafetensors(buildFile({})).tensors).toEqual({});
    const file = buildFile(
      ` { "__metadata__": null, "w": {"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1} } `,
      f32Bytes([2]),
    );
    const { tensors, metadata } = decodeSafetensors(file);
    expect(tensors.w.item()).toBe(2);
    expect(metadata).toEqual({});
  });
});

describe('fuzz: only SafetensorsError may come out', () => {
  const valid = fs.readFileSync(REFERENCE);
  const generator = new Generator(20240601);

  function attempt(bytes: Uint8Array, label: string): 'ok' | 'rejected' {
    let result;
    try {
      result = decodeSafetensors(bytes, { dtype: generator.integer(2) ? 'keep' : 'float32' });
    } catch (error) {
      if (!(error instanceof SafetensorsError))
        throw new Error(`${label}: ${String(error)} for ${Buffer.from(bytes).toString('hex')}`);
      return 'rejected';
    }
    for (const t of Object.values(result.tensors)) {
      expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      t.dispose();
    }
    return 'ok';
  }

  function randomBytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => generator.integer(256));
  }

  test('random byte strings, with and without a plausible length prefix', () => {
    for (let i = 0; i < 300; i++) {
      const state = generator.getState();
      const body = randomBytes(generator.integer(64));
      const bytes =
        i % 2 === 0 ? body : buildFile(body.toString(), randomBytes(generator.integer(16)));
      attempt(bytes, `random #${i} (generator state ${JSON.stringify(state)})`);
    }
  });

  test('every truncation and a random single-byte change at every position of a valid file', () => {
    let accepted = 0;
    for (let n = 0; n < valid.length; n++)
      if (attempt(valid.subarray(0, n), `truncated to ${n}`) === 'ok') accepted++;
    expect(accepted).toBe(0);
    for (let at = 0; at < valid.length; at++) {
      const mutated = Buffer.from(valid);
      mutated[at] = (mutated[at] + 1 + generator.integer(255)) & 0xff;
      attempt(mutated, `byte ${at} set to ${mutated[at]}`);
    }
  });

  test('random headers from a grammar of near-valid values', () => {
    const pick = <T>(values: T[]): T => values[generator.integer(values.length)];
    const dims = [0, 1, 2, 3, 4, -1, 1.5, 2 ** 53, 2 ** 32, '2', null];
    const dtypes = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'F8', 7, null];
    let ok = 0;
    for (let i = 0; i < 400; i++) {
      const header: Record<string, unknown> = {};
      let offset = 0;
      const count = generator.integer(4);
      for (let k = 0; k < count; k++) {
        const shape = Array.from({ length: generator.integer(3) }, () =>
          generator.integer(4) ? generator.integer(4) : pick(dims),
        );
        const length = pick([0, 1, 2, 4, 8, 12, 16]);
        const begin = generator.integer(5) ? offset : pick([0, offset + 1, offset - 1, -1]);
        header[pick(['a', 'b', 'c', '__proto__', 'constructor'])] = {
          dtype: pick(dtypes),
          shape,
          data_offsets: generator.integer(8) ? [begin, begin + length] : pick([[0], 'x', [3, 1]]),
        };
        offset = begin + length;
      }
      if (generator.integer(4) === 0)
        header.__metadata__ = pick([{ a: 'b' }, { a: 1 }, [], 'm', null]);
      const data = randomBytes(Math.max(0, offset + pick([0, 0, 0, -1, 1])));
      if (attempt(buildFile(header, data), `grammar #${i}: ${JSON.stringify(header)}`) === 'ok')
        ok++;
    }
    // The grammar must reach the success path too, not only the early checks.
    expect(ok).toBeGreaterThan(20);
  });
});
