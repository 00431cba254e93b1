// The safetensors format (https://github.com/huggingface/safetensors), the one torchvision
// weights are shared in. A file is: 8 bytes little-endian u64 N, N bytes of UTF-8 JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, then the
// tensor bytes, little-endian, row-major, offsets relative to the end of the header.
//
// Files trust nothing: every field of the header is checked, in the reference reader's order,
// before a single tensor byte is read, so a hostile file yields a SafetensorsError naming the
// file and the tensor, never an out-of-range read or a crash.

/** The stored element types convkit reads. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8';
export type IntegerDtype = 'I64' | 'I32' | 'U8';

export const DTYPE_SIZE: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  U8: 1,
};
const KNOWN_DTYPES = Object.keys(DTYPE_SIZE) as SafetensorsDtype[];

/** One entry of a validated header. */
export interface SafetensorsEntryInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range relative to the start of the data section, as stored. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Entries in data order (ascending offsets). */
  entries: SafetensorsEntryInfo[];
  metadata: Record<string, string>;
  /** Where the data section starts in the file: 8 + header length. */
  dataStart: number;
}

/** A malformed safetensors file (or buffer). `file` and `tensor` say where. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(
    op: string,
    readonly file: string,
    readonly tensor: string | null,
    detail: string,
  ) {
    super(`convkit.${op}: ${file}: ${tensor === null ? '' : `tensor ${quote(tensor)}: `}${detail}`);
  }
}

/** The largest header the reference reader accepts. */
export const MAX_HEADER_LENGTH = 100_000_000;

/** Random access to the bytes of a file or buffer. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Fills `into` from `position`; the range was checked against `size` already. */
  read(into: Uint8Array, position: number): void;
}

export function quote(name: string): string {
  const shown = name.length > 200 ? `${name.slice(0, 200)}...` : name;
  return `'${JSON.stringify(shown).slice(1, -1)}'`;
}

/** Sets an own property even for names such as `__proto__`. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export function showJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

export function isSafeNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Reads and checks the header; throws SafetensorsError on the first problem, in order. */
export function parseHeader(source: ByteSource, op: string): SafetensorsHeader {
  const fail = (detail: string, tensor: string | null = null): SafetensorsError =>
    new SafetensorsError(op, source.name, tensor, detail);
  const size = source.size;
  if (size < 8) throw fail(`the file is ${size} bytes, too short for the 8-byte header length`);
  const prefix = new Uint8Array(8);
  source.read(prefix, 0);
  const lengthBig = new DataView(prefix.buffer).getBigUint64(0, true);
  if (lengthBig > BigInt(MAX_HEADER_LENGTH))
    throw fail(`the header length ${lengthBig} exceeds the limit of ${MAX_HEADER_LENGTH} bytes`);
  const headerLength = Number(lengthBig);
  if (8 + headerLength > size)
    throw fail(
      `the header length ${headerLength} runs past the end of the file (8 + ${headerLength} > ${size} bytes)`,
    );
  const headerBytes = new Uint8Array(headerLength);
  source.read(headerBytes, 8);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw fail('the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(json)) throw fail(`the header is ${jsonKind(json)}, not a JSON object`);

  const entries: SafetensorsEntryInfo[] = [];
  for (const name of Object.keys(json)) {
    if (name === '__metadata__') continue;
    const raw = json[name];
    if (!isPlainObject(raw)) throw fail(`the entry is ${jsonKind(raw)}, not an object`, name);
    const dtype = raw.dtype;
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_SIZE, dtype))
      throw fail(
        `unknown dtype ${showJson(dtype)} (convkit reads ${KNOWN_DTYPES.join(', ')})`,
        name,
      );
    const shape = raw.shape;
    if (!Array.isArray(shape) || !shape.every(isSafeNonNegativeInteger))
      throw fail(`the shape ${showJson(shape)} is not an array of non-negative integers`, name);
    const offsets = raw.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSafeNonNegativeInteger))
      throw fail(
        `data_offsets ${showJson(offsets)} is not a pair [begin, end] of non-negative integers`,
        name,
      );
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw fail(`data_offsets [${begin}, ${end}] ends before it begins`, name);
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape, dataOffsets: [begin, end] });
  }

  // Data order: each tensor starts where the previous one ended, the first at 0.
  entries.sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let position = 0;
  for (const entry of entries) {
    const [begin, end] = entry.dataOffsets;
    if (begin !== position) {
      const what =
        position === 0
          ? `the first tensor's data starts at byte ${begin}, not at 0`
          : begin > position
            ? `data starts at byte ${begin}, leaving a gap after the previous tensor, which ends at byte ${position}`
            : `data starts at byte ${begin}, overlapping the previous tensor, which ends at byte ${position}`;
      throw fail(what, entry.name);
    }
    // count x itemsize in BigInt: cannot overflow, whatever the shape.
    let count = 1n;
    for (const dim of entry.shape) count *= BigInt(dim);
    const bytes = count * BigInt(DTYPE_SIZE[entry.dtype]);
    if (bytes !== BigInt(end - begin))
      throw fail(
        `shape [${entry.shape}] of ${entry.dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
        entry.name,
      );
    position = end;
  }
  const available = size - 8 - headerLength;
  if (position !== available)
    throw fail(
      position > available
        ? `the data ends at byte ${position} but only ${available} bytes follow the header (truncated file)`
        : `the data ends at byte ${position} but ${available} bytes follow the header (${available - position} trailing bytes)`,
    );

  const metadata: Record<string, string> = {};
  const rawMetadata = Object.prototype.hasOwnProperty.call(json, '__metadata__')
    ? json.__metadata__
    : null;
  if (rawMetadata !== null) {
    if (!isPlainObject(rawMetadata))
      throw fail(`__metadata__ is ${jsonKind(rawMetadata)}, not an object of strings`);
    for (const key of Object.keys(rawMetadata)) {
      const value = rawMetadata[key];
      if (typeof value !== 'string')
        throw fail(`__metadata__ ${quote(key)} is ${jsonKind(value)}, not a string`);
      setOwn(metadata, key, value);
    }
  }
  return { entries, metadata, dataStart: 8 + headerLength };
}
