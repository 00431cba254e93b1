// Reading dataset files: one error class for every missing, unreadable or malformed file, so a
// bad download surfaces as a message naming the file, never as a crash or a stray exception.
import * as fs from 'fs';
import * as zlib from 'zlib';

export class DatasetFileError extends Error {
  override name = 'DatasetFileError';
  constructor(
    op: string,
    /** The file at fault. */
    readonly file: string,
    detail: string,
    /** The system error code (ENOENT, EACCES, ...) when the file could not be read. */
    readonly code?: string,
  ) {
    super(`convkit.${op}: ${file}: ${detail}`);
  }
}

/** The whole file; a missing or unreadable file becomes a DatasetFileError. */
export function readFileChecked(op: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const detail =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : message;
    throw new DatasetFileError(op, file, `cannot read the file (${detail})`, code);
  }
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

// A corrupt (or hostile) gzip stream may claim any size; no dataset file we read is bigger.
const MAX_INFLATED_BYTES = 2 ** 31 - 1;

/** Inflates gzip data (detected by its magic number, whatever the file name); raw data as is. */
export function maybeGunzip(op: string, file: string, bytes: Buffer): Buffer {
  if (!isGzip(bytes)) return bytes;
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (error) {
    throw new DatasetFileError(
      op,
      file,
      `corrupt gzip data (${(error as Error).message})`,
      (error as NodeJS.ErrnoException).code,
    );
  }
}

/** The first of `names` that exists in `dir`, or null. */
export function findFile(dir: string, names: readonly string[]): string | null {
  for (const name of names) {
    const file = `${dir}/${name}`;
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  }
  return null;
}
