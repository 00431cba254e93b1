// CIFAR-10 and CIFAR-100 binary batches ("binary version" of the archives): fixed-size records
// of label byte(s) then 32x32x3 pixels in planar order (1024 red, 1024 green, 1024 blue), which
// are transposed here into HWC.
import { DatasetFileError, readFileChecked } from './files';

export type CifarVariant = 'cifar10' | 'cifar100';

export interface CifarBatch {
  /** N*32*32*3 bytes, HWC. */
  images: Uint8Array;
  /** CIFAR-10: the class; CIFAR-100: the fine label (100 classes). */
  labels: Uint8Array;
  /** CIFAR-100 only: the coarse label (20 superclasses); null for CIFAR-10. */
  coarseLabels: Uint8Array | null;
}

const PIXELS = 32 * 32;
const IMAGE_BYTES = PIXELS * 3;

/** Parses a CIFAR binary batch held in memory; `file` names it in errors. */
export function parseCifarBatch(
  bytes: Uint8Array,
  variant: CifarVariant,
  file = '<buffer>',
): CifarBatch {
  const op = 'data.readCifarBatch';
  const labelBytes = variant === 'cifar100' ? 2 : 1;
  const record = labelBytes + IMAGE_BYTES;
  if (bytes.length === 0 || bytes.length % record !== 0)
    throw new DatasetFileError(
      op,
      file,
      `${bytes.length} bytes is not a whole number of ${variant === 'cifar100' ? 'CIFAR-100' : 'CIFAR-10'} ` +
        `records (${record} bytes each)${bytes.length % record ? '; truncated or the wrong variant?' : ''}`,
    );
  const n = bytes.length / record;
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  const coarseLabels = variant === 'cifar100' ? new Uint8Array(n) : null;
  const fineLimit = variant === 'cifar100' ? 100 : 10;
  for (let i = 0; i < n; i++) {
    const at = i * record;
    const fine = bytes[at + labelBytes - 1];
    if (fine >= fineLimit)
      throw new DatasetFileError(
        op,
        file,
        `record ${i}: label ${fine} is out of range [0, ${fineLimit}) (not a ${variant} batch?)`,
      );
    labels[i] = fine;
    if (coarseLabels) {
      const coarse = bytes[at];
      if (coarse >= 20)
        throw new DatasetFileError(
          op,
          file,
          `record ${i}: coarse label ${coarse} is out of range [0, 20)`,
        );
      coarseLabels[i] = coarse;
    }
    const src = at + labelBytes;
    const dst = i * IMAGE_BYTES;
    for (let p = 0; p < PIXELS; p++) {
      images[dst + 3 * p] = bytes[src + p];
      images[dst + 3 * p + 1] = bytes[src + PIXELS + p];
      images[dst + 3 * p + 2] = bytes[src + 2 * PIXELS + p];
    }
  }
  return { images, labels, coarseLabels };
}

/** Reads a CIFAR binary batch file (data_batch_1.bin, test_batch.bin, train.bin, test.bin). */
export function readCifarBatch(file: string, variant: CifarVariant = 'cifar10'): CifarBatch {
  return parseCifarBatch(readFileChecked('data.readCifarBatch', file), variant, file);
}
