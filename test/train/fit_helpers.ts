// Tiny in-memory data and models for the trainer tests: 4 classes of 8x8 one-channel images,
// each class bright in one quadrant, plus noise.
import { Generator, nn, tensor } from '../../lib';
import { defaultGenerator } from '../../lib/random';
import type { Batch, Loader } from '../../lib/train';

export const H = 8;

export function quadrantData(
  n: number,
  seed: number,
): { images: Float32Array; labels: Int32Array } {
  const g = new Generator(seed);
  const images = new Float32Array(n * H * H);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 4;
    labels[i] = label;
    const [qy, qx] = [label >> 1, label & 1];
    for (let y = 0; y < H; y++)
      for (let x = 0; x < H; x++) {
        const inside = y >> 2 === qy && x >> 2 === qx;
        images[i * H * H + y * H + x] = (inside ? 1 : 0) + 0.3 * (g.uniform() - 0.5);
      }
  }
  return { images, labels };
}

/**
 * Batches of the arrays. shuffle 'epoch': the order derives from (seed, epoch) via setEpoch;
 * 'global': drawn from the global generator when iteration starts (as a loader without its own
 * seed would); 'none': in order.
 */
export class ArrayLoader implements Loader {
  private epoch = 0;

  constructor(
    private readonly data: { images: Float32Array; labels: Int32Array },
    private readonly batchSize: number,
    private readonly shuffle: 'none' | 'epoch' | 'global' = 'none',
    private readonly seed = 0,
  ) {}

  get length(): number {
    return Math.ceil(this.data.labels.length / this.batchSize);
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  *[Symbol.iterator](): IterableIterator<Batch> {
    const n = this.data.labels.length;
    const order = Array.from({ length: n }, (_, i) => i);
    if (this.shuffle !== 'none') {
      const g =
        this.shuffle === 'epoch' ? new Generator(this.seed * 1000 + this.epoch) : defaultGenerator;
      for (let i = n - 1; i > 0; i--) {
        const j = g.integer(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    for (let start = 0; start < n; start += this.batchSize) {
      const idx = order.slice(start, start + this.batchSize);
      const x = new Float32Array(idx.length * H * H);
      idx.forEach((k, r) =>
        x.set(this.data.images.subarray(k * H * H, (k + 1) * H * H), r * H * H),
      );
      yield {
        x: tensor(x, [idx.length, H, H, 1]),
        labels: Int32Array.from(idx, (k) => this.data.labels[k]),
      };
    }
  }
}

/** conv (stride 2) + BN + ReLU, dropout, linear: small, but with buffers and randomness. */
export function tinyNet(dropout = 0): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, stride: 2 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Dropout(dropout),
    new nn.Linear(4 * 4 * 4, 4),
  );
}
