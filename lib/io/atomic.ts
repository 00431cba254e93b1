// Atomic file replacement: an interrupted or failed save never destroys the last good file.
// The bytes go to a temporary file in the target's directory (so the rename stays on one file
// system), which is flushed to disk, renamed over the target, and the directory is flushed so
// the rename itself survives a power cut.
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { invalidType } from '../check';

/**
 * Writes `chunks` (in order) to `target`, replacing it atomically. If anything throws — the
 * file system, or the chunk source itself — the temporary file is removed, the target is left
 * as it was, and the error propagates.
 */
export function writeFileAtomic(target: string, chunks: Iterable<Uint8Array>): void {
  if (typeof target !== 'string' || target === '')
    throw invalidType('writeFileAtomic', 'path', 'a non-empty string', target);
  // Replace the file a symlink points to, not the link itself.
  const destination = resolveExisting(target);
  const dir = path.dirname(destination);
  const temporary = path.join(
    dir,
    `.${path.basename(destination)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  let fd: number | null = fs.openSync(temporary, 'wx', fileMode(destination));
  try {
    for (const chunk of chunks) writeAll(fd, chunk);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(temporary, destination);
  } catch (error) {
    if (fd !== null) closeQuietly(fd);
    try {
      fs.unlinkSync(temporary);
    } catch {
      // Already gone (or never renamed away): nothing more to clean up.
    }
    throw error;
  }
  syncDirectory(dir);
}

function resolveExisting(target: string): string {
  try {
    return fs.realpathSync(target);
  } catch {
    return path.resolve(target);
  }
}

/** Keeps the permissions of the file being replaced; new files get the default (umask applies). */
function fileMode(destination: string): number {
  try {
    return fs.statSync(destination).mode & 0o7777;
  } catch {
    return 0o666;
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.byteLength) done += fs.writeSync(fd, chunk, done, chunk.byteLength - done);
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // The write already failed; that error is the one to report.
  }
}

function syncDirectory(dir: string): void {
  // Windows cannot open a directory as a file; some file systems refuse fsync on one. The
  // rename has happened either way, so those cases only lose the extra durability.
  if (process.platform === 'win32') return;
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // EINVAL / ENOTSUP on file systems without directory fsync.
  } finally {
    closeQuietly(fd);
  }
}
