// safetensors read and write: the public API over the checked header (safetensors_header.ts).
// Tensor bytes are read only after the whole header checks out; F32 goes straight into tensor
// memory, and saving writes each tensor's memory as is (little-endian hosts), atomically.
import * as fs from 'fs';
import { endianness } from 'os';
import { invalidRange, invalidType } from '../check';
import { Tensor, zeros } from '../tensor';
import { writeFileAtomic } from './atomic';
import {
  ByteSource,
  DTYPE_SIZE,
  isPlainObject,
  isSafeNonNegativeInteger,
  parseHeader,
  quote,
  SafetensorsDtype,
  SafetensorsError,
  SafetensorsHeader,
  setOwn,
  IntegerDtype,
  MAX_HEADER_LENGTH,
} from './safetensors_header';

export { SafetensorsError, MAX_HEADER_LENGTH } from './safetensors_header';
export type {
  SafetensorsDtype,
  IntegerDtype,
  SafetensorsEntryInfo,
  SafetensorsHeader,
} from './safetensors_header';

/** Integer data as typed arrays (PyTorch's num_batches_tracked is an I64 scalar). */
export type IntegerEntry =
  | { dtype: 'I64'; shape: readonly number[]; data: BigInt64Array }
  | { dtype: 'I32'; shape: readonly number[]; data: Int32Array }
  | { dtype: 'U8'; shape: readonly number[]; data: Uint8Array };

/** An integer entry to write: typed array, or plain numbers (each a safe integer in range). */
export interface IntegerInput {
  dtype: IntegerDtype;
  shape: readonly number[];
  data: BigInt64Array | Int32Array | Uint8Array | readonly number[];
}

export type SafetensorsEntries = Record<string, Tensor | IntegerInput>;

export interface SaveOptions {
  /** The `__metadata__` map (string to string), e.g. `{ format: 'pt' }`. */
  metadata?: Record<string, string>;
  /** Stores these Tensor entries as integers, e.g. `{ 'bn1.num_batches_tracked': 'I64' }`. */
  dtypes?: Record<string, IntegerDtype | 'F32'>;
}

export interface LoadOptions {
  /**
   * 'float32' (default): every entry becomes a float32 Tensor (a state dict).
   * 'keep': float entries become float32 Tensors; I64/I32/U8 entries stay exact, as typed
   * arrays in `integers` (I64 as BigInt64Array).
   */
  dtype?: 'float32' | 'keep';
  /** The name errors give the data (decodeSafetensors only); the path for loadSafetensors. */
  name?: string;
}

export interface SafetensorsContents {
  /** Entries as float32 Tensors, keyed as in the file (a state dict). */
  tensors: Record<string, Tensor>;
  /** With `dtype: 'keep'`: the integer entries, exact. Empty otherwise. */
  integers: Record<string, IntegerEntry>;
  /** The stored dtype of every entry. */
  dtypes: Record<string, SafetensorsDtype>;
  metadata: Record<string, string>;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

// ---------------------------------------------------------------------------------------------
// Reading

let halfTable: Float32Array | null = null;

/** All 65536 IEEE half-precision values as float32 (built on first use). */
function halfToFloatTable(): Float32Array {
  if (halfTable !== null) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    halfTable[h] =
      exponent === 0
        ? sign * fraction * 2 ** -24
        : exponent === 31
          ? fraction === 0
            ? sign * Infinity
            : NaN
          : sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return halfTable;
}

/** Converts raw little-endian bytes of `dtype` into `out` as float32. */
function bytesToFloat32(bytes: Uint8Array, dtype: SafetensorsDtype, out: Float32Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = out.length;
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return;
    case 'F16': {
      const table = halfToFloatTable();
      for (let i = 0; i < n; i++) out[i] = table[view.getUint16(i * 2, true)];
      return;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const bits = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return;
    }
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = bytes[i];
      return;
  }
}

function bytesToInteger(bytes: Uint8Array, dtype: IntegerDtype, shape: number[]): IntegerEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_SIZE[dtype];
  if (dtype === 'U8') return { dtype, shape, data: bytes.slice() };
  if (dtype === 'I32') {
    const data = new Int32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getInt32(i * 4, true);
    return { dtype, shape, data };
  }
  const data = new BigInt64Array(n);
  for (let i = 0; i < n; i++) data[i] = view.getBigInt64(i * 8, true);
  return { dtype, shape, data };
}

function readContents(source: ByteSource, op: string, options: LoadOptions): SafetensorsContents {
  const mode = options.dtype ?? 'float32';
  if (mode !== 'float32' && mode !== 'keep')
    throw invalidRange(op, 'options.dtype', "'float32' or 'keep'", mode);
  const header = parseHeader(source, op);
  const contents: SafetensorsContents = {
    tensors: {},
    integers: {},
    dtypes: {},
    metadata: header.metadata,
  };
  try {
    for (const { name, dtype, shape, dataOffsets } of header.entries) {
      setOwn(contents.dtypes, name, dtype);
      const position = header.dataStart + dataOffsets[0];
      const byteLength = dataOffsets[1] - dataOffsets[0];
      if (mode === 'keep' && (dtype === 'I64' || dtype === 'I32' || dtype === 'U8')) {
        const bytes = new Uint8Array(byteLength);
        source.read(bytes, position);
        setOwn(contents.integers, name, bytesToInteger(bytes, dtype, shape));
        continue;
      }
      const tensor = zeros(shape);
      setOwn(contents.tensors, name, tensor);
      const data = tensor.data;
      if (dtype === 'F32' && LITTLE_ENDIAN_HOST) {
        // Straight into the tensor's memory: no intermediate copy.
        source.read(new Uint8Array(data.buffer, data.byteOffset, byteLength), position);
      } else {
        const bytes = new Uint8Array(byteLength);
        source.read(bytes, position);
        bytesToFloat32(bytes, dtype, data);
      }
    }
  } catch (error) {
    for (const tensor of Object.values(contents.tensors)) tensor.dispose();
    throw error;
  }
  return contents;
}

function bufferSource(buffer: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: buffer.byteLength,
    read(into, position) {
      into.set(buffer.subarray(position, position + into.byteLength));
    },
  };
}

/** Reads from an open file, detecting a file that shrank after it was measured. */
function fileSource(fd: number, name: string, op: string): ByteSource {
  const size = fs.fstatSync(fd).size;
  return {
    name,
    size,
    read(into, position) {
      let done = 0;
      while (done < into.byteLength) {
        const got = fs.readSync(fd, into, done, into.byteLength - done, position + done);
        if (got === 0)
          throw new SafetensorsError(
            op,
            name,
            null,
            `the file ended at byte ${position + done} while reading (it was ${size} bytes; changed while loading?)`,
          );
        done += got;
      }
    },
  };
}

function checkPath(op: string, path: unknown): string {
  if (typeof path !== 'string' || path === '')
    throw invalidType(op, 'path', 'a non-empty string', path);
  return path;
}

function checkLoadOptions(op: string, options: unknown): LoadOptions {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw invalidType(op, 'options', 'an options object', options);
  return options as LoadOptions;
}

function withFile<T>(op: string, path: string, body: (source: ByteSource) => T): T {
  const fd = fs.openSync(path, 'r');
  try {
    return body(fileSource(fd, path, op));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Loads a safetensors file. `tensors` is a state dict: pass it to `loadStateDict`. Tensor bytes
 * are read only after the whole header checks out.
 */
export function loadSafetensors(path: string, options?: LoadOptions): SafetensorsContents {
  const op = 'loadSafetensors';
  checkPath(op, path);
  const opts = checkLoadOptions(op, options);
  return withFile(op, path, (source) => readContents(source, op, opts));
}

/** Decodes safetensors bytes (see loadSafetensors). */
export function decodeSafetensors(bytes: Uint8Array, options?: LoadOptions): SafetensorsContents {
  const op = 'decodeSafetensors';
  if (!(bytes instanceof Uint8Array)) throw invalidType(op, 'bytes', 'a Uint8Array', bytes);
  const opts = checkLoadOptions(op, options);
  return readContents(bufferSource(bytes, opts.name ?? '<buffer>'), op, opts);
}

/** The checked header of a file (names, dtypes, shapes, offsets, metadata) without its data. */
export function inspectSafetensors(path: string): SafetensorsHeader {
  const op = 'inspectSafetensors';
  checkPath(op, path);
  return withFile(op, path, (source) => parseHeader(source, op));
}

// ---------------------------------------------------------------------------------------------
// Writing

interface Prepared {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  bytes: Uint8Array;
}

function elementCount(op: string, name: string, shape: unknown): number {
  if (!Array.isArray(shape))
    throw invalidType(op, `entries[${quote(name)}].shape`, 'an array of integers', shape);
  let count = 1;
  shape.forEach((dim: unknown, i) => {
    if (!isSafeNonNegativeInteger(dim))
      throw invalidRange(op, `entries[${quote(name)}].shape[${i}]`, 'a non-negative integer', dim);
    count *= dim;
  });
  if (!Number.isSafeInteger(count))
    throw invalidRange(op, `entries[${quote(name)}].shape`, 'a shape of fewer elements', shape);
  return count;
}

const INTEGER_RANGE: Readonly<Record<IntegerDtype, [number, number]>> = {
  I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  I32: [-(2 ** 31), 2 ** 31 - 1],
  U8: [0, 255],
};

/** Little-endian bytes of integer values given as numbers (checked) or a typed array. */
function integerBytes(
  op: string,
  name: string,
  dtype: IntegerDtype,
  values: ArrayLike<number> | BigInt64Array | Int32Array | Uint8Array,
): Uint8Array {
  const n = values.length;
  const bytes = new Uint8Array(n * DTYPE_SIZE[dtype]);
  const view = new DataView(bytes.buffer);
  if (values instanceof BigInt64Array) {
    if (dtype !== 'I64')
      throw invalidType(op, `entries[${quote(name)}].data`, `data for ${dtype}`, values);
    for (let i = 0; i < n; i++) view.setBigInt64(i * 8, values[i], true);
    return bytes;
  }
  const [low, high] = INTEGER_RANGE[dtype];
  for (let i = 0; i < n; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < low || v > high)
      throw invalidRange(
        op,
        `entries[${quote(name)}] value ${i}`,
        `an integer in [${low}, ${high}] for ${dtype}`,
        v,
      );
    if (dtype === 'I64') view.setBigInt64(i * 8, BigInt(v), true);
    else if (dtype === 'I32') view.setInt32(i * 4, v, true);
    else bytes[i] = v;
  }
  return bytes;
}

function float32Bytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return bytes;
}

function prepareEntry(
  op: string,
  name: string,
  value: unknown,
  hint: IntegerDtype | 'F32' | undefined,
): Prepared {
  if (value instanceof Tensor) {
    value.assertAlive(op);
    const dtype = hint ?? 'F32';
    const bytes =
      dtype === 'F32' ? float32Bytes(value.data) : integerBytes(op, name, dtype, value.data);
    return { name, dtype, shape: value.shape, bytes };
  }
  if (!isPlainObject(value))
    throw invalidType(
      op,
      `entries[${quote(name)}]`,
      'a Tensor or an integer entry { dtype, shape, data }',
      value,
    );
  const { dtype, shape, data } = value;
  if (dtype !== 'I64' && dtype !== 'I32' && dtype !== 'U8')
    throw invalidRange(op, `entries[${quote(name)}].dtype`, "'I64', 'I32' or 'U8'", dtype);
  if (hint !== undefined && hint !== dtype)
    throw invalidRange(op, `options.dtypes[${quote(name)}]`, `'${dtype}' as the entry says`, hint);
  const count = elementCount(op, name, shape);
  if (!ArrayBuffer.isView(data) && !Array.isArray(data))
    throw invalidType(op, `entries[${quote(name)}].data`, 'a typed array or an array', data);
  const values = data as ArrayLike<number> | BigInt64Array;
  if (values.length !== count)
    throw invalidRange(
      op,
      `entries[${quote(name)}].data`,
      `${count} values for shape [${shape as number[]}]`,
      `${values.length} values`,
    );
  return { name, dtype, shape: shape as number[], bytes: integerBytes(op, name, dtype, values) };
}

/** The header and tensor bytes of a file, as chunks to write in order. */
function encodeChunks(op: string, entries: unknown, options: unknown): Uint8Array[] {
  if (!isPlainObject(entries))
    throw invalidType(op, 'entries', 'an object of Tensors and integer entries', entries);
  if (options !== undefined && !isPlainObject(options))
    throw invalidType(op, 'options', 'an options object { metadata, dtypes }', options);
  const { metadata, dtypes } = (options ?? {}) as SaveOptions;
  if (metadata !== undefined) {
    if (!isPlainObject(metadata))
      throw invalidType(op, 'options.metadata', 'an object of strings', metadata);
    for (const key of Object.keys(metadata))
      if (typeof metadata[key] !== 'string')
        throw invalidType(op, `options.metadata[${quote(key)}]`, 'a string', metadata[key]);
  }
  const hints: Record<string, unknown> = {};
  if (dtypes !== undefined) {
    if (!isPlainObject(dtypes))
      throw invalidType(op, 'options.dtypes', "an object of 'I64' | 'I32' | 'U8' | 'F32'", dtypes);
    for (const key of Object.keys(dtypes)) {
      const hint = dtypes[key];
      if (!Object.prototype.hasOwnProperty.call(entries, key))
        throw invalidRange(op, `options.dtypes[${quote(key)}]`, 'the name of an entry', hint);
      if (hint !== 'I64' && hint !== 'I32' && hint !== 'U8' && hint !== 'F32')
        throw invalidRange(
          op,
          `options.dtypes[${quote(key)}]`,
          "'I64', 'I32', 'U8' or 'F32'",
          hint,
        );
      setOwn(hints, key, hint);
    }
  }

  const prepared: Prepared[] = [];
  for (const name of Object.keys(entries)) {
    if (name === '__metadata__')
      throw invalidRange(op, 'entries', 'no entry named __metadata__ (reserved)', name);
    const hint = Object.prototype.hasOwnProperty.call(hints, name) ? hints[name] : undefined;
    prepared.push(prepareEntry(op, name, entries[name], hint as IntegerDtype | 'F32' | undefined));
  }
  // As the reference writer: widest dtypes first (keeps every tensor aligned to its element
  // size, since the data section starts at a multiple of 8), then by name.
  prepared.sort(
    (a, b) =>
      DTYPE_SIZE[b.dtype] - DTYPE_SIZE[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );

  const parts: string[] = [];
  if (metadata !== undefined) {
    const pairs = Object.keys(metadata).map(
      (key) => `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`,
    );
    parts.push(`"__metadata__":{${pairs.join(',')}}`);
  }
  let offset = 0;
  for (const entry of prepared) {
    const end = offset + entry.bytes.byteLength;
    parts.push(
      `${JSON.stringify(entry.name)}:{"dtype":"${entry.dtype}","shape":[${entry.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded > MAX_HEADER_LENGTH)
    throw invalidRange(
      op,
      'entries',
      `a header of at most ${MAX_HEADER_LENGTH} bytes`,
      `${padded} bytes`,
    );
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(head, 8);
  return [head, ...prepared.map((entry) => entry.bytes)];
}

/** Encodes entries as safetensors bytes. */
export function encodeSafetensors(entries: SafetensorsEntries, options?: SaveOptions): Buffer {
  return Buffer.concat(encodeChunks('encodeSafetensors', entries, options));
}

/**
 * Saves entries (a state dict: Tensors, plus integer entries such as num_batches_tracked) as a
 * safetensors file, atomically: a failed save leaves any previous file at `path` intact.
 */
export function saveSafetensors(
  entries: SafetensorsEntries,
  path: string,
  options?: SaveOptions,
): void {
  const op = 'saveSafetensors';
  checkPath(op, path);
  writeFileAtomic(path, encodeChunks(op, entries, options));
}
