// Builders for small dataset files in the tests: IDX and CIFAR batches from known values.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function idxBytes(dims: number[], values: ArrayLike<number>, type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Uint8Array.from(values))]);
}

/** N images of h x w with pixel (i, y, x) = (i * 31 + y * w + x) % 256, and labels i % classes. */
export function idxPair(n: number, h: number, w: number, classes = 10) {
  const pixels = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < h * w; p++) pixels[i * h * w + p] = (i * 31 + p) % 256;
  const labels = Uint8Array.from({ length: n }, (_, i) => i % classes);
  return { pixels, labels, images: idxBytes([n, h, w], pixels), labelFile: idxBytes([n], labels) };
}

/** CIFAR records: planar 32x32x3 with pixel (i, plane, p) = (i + 7 * plane + p) % 256. */
export function cifarBytes(labels: number[][]): Buffer {
  const parts: Buffer[] = [];
  labels.forEach((label, i) => {
    const image = Buffer.alloc(3072);
    for (let plane = 0; plane < 3; plane++)
      for (let p = 0; p < 1024; p++) image[plane * 1024 + p] = (i + 7 * plane + p) % 256;
    parts.push(Buffer.from(label), image);
  });
  return Buffer.concat(parts);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `convkit-${prefix}-`));
}
