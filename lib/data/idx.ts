// The IDX format of MNIST and Fashion-MNIST: 2 zero bytes, a type byte, a dimension count, the
// dimensions as big-endian uint32, then the data. Only unsigned bytes (type 0x08) are read: the
// images and labels of every IDX dataset use them.
import { DatasetFileError, maybeGunzip, readFileChecked } from './files';

export interface IdxArray {
  /** Dimensions, outermost first: [N, H, W] for images, [N] for labels. */
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * Parses an IDX file held in memory (raw or gzip). `file` names it in errors. The data is a view
 * of `bytes` (or of the inflated copy), not a copy.
 */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  const op = 'data.readIdx';
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw = maybeGunzip(op, file, buffer);
  const fail = (detail: string) => new DatasetFileError(op, file, detail);
  if (raw.length < 4) throw fail(`truncated header (${raw.length} bytes)`);
  if (raw[0] !== 0 || raw[1] !== 0)
    throw fail(
      `not an IDX file (magic number 0x${raw.readUInt32BE(0).toString(16).padStart(8, '0')})`,
    );
  const type = raw[2];
  if (type !== UBYTE)
    throw fail(
      `IDX data type 0x${type.toString(16).padStart(2, '0')} (${TYPE_NAMES[type] ?? 'unknown'}) ` +
        'is not supported; expected 0x08 (unsigned byte)',
    );
  const ndims = raw[3];
  if (ndims === 0) throw fail('IDX file with 0 dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes)
    throw fail(
      `truncated header: ${ndims} dimensions need ${headerBytes} bytes, the file has ${raw.length}`,
    );
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const dim = raw.readUInt32BE(4 + 4 * i);
    dims.push(dim);
    count *= dim; // exact: stops growing past the file size check below before 2^53
    if (count > raw.length) break;
  }
  const available = raw.length - headerBytes;
  if (dims.length < ndims || count !== available)
    throw fail(
      `the dimensions [${dims.join(', ')}${dims.length < ndims ? ', ...' : ''}] ` +
        `need ${count > raw.length ? 'more than ' + available : count} data bytes, ` +
        `the file has ${available}${count > available ? ' (truncated?)' : ''}`,
    );
  return { dims, data: raw.subarray(headerBytes) };
}

/** Reads an IDX file (raw or `.gz`). */
export function readIdx(file: string): IdxArray {
  return parseIdx(readFileChecked('data.readIdx', file), file);
}
