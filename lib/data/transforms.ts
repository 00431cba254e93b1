// Batch transforms on NHWC images, uint8 or float32, as plain typed-array loops. Each transform
// takes a batch and the loader's generator and returns a new batch (inputs are never modified);
// random transforms draw from the generator sample by sample, so a seeded loader reproduces its
// augmentation exactly.
import { checkInt, checkNumber, invalidRange, invalidType } from '../check';
import { Generator } from '../random';

/** N images, HWC each, one after another. uint8 pixels are 0..255; float32 any scale. */
export interface ImageBatch {
  data: Uint8Array | Float32Array;
  shape: readonly [number, number, number, number];
}

/**
 * A batch transform. `out`, when given, is memory the caller offers for a float32 result (the
 * loader passes the batch tensor's memory, saving an allocation and a copy): a transform whose
 * result is float32 of exactly out.length values may write it there. Transforms never modify
 * their input.
 */
export type Transform = (batch: ImageBatch, generator: Generator, out?: Float32Array) => ImageBatch;

/** `out` when it fits a float32 result of `length` values, else new memory. */
function floatOutput(length: number, out: Float32Array | undefined): Float32Array {
  return out !== undefined && out.length === length ? out : new Float32Array(length);
}

function checkBatch(op: string, batch: ImageBatch): [number, number, number, number] {
  if (batch === null || typeof batch !== 'object')
    throw invalidType(op, 'batch', 'an image batch { data, shape }', batch);
  const { data, shape } = batch;
  if (!(data instanceof Uint8Array || data instanceof Float32Array))
    throw invalidType(op, 'batch.data', 'a Uint8Array or Float32Array', data);
  if (!Array.isArray(shape) || shape.length !== 4)
    throw invalidType(op, 'batch.shape', 'an array [N, H, W, C]', shape);
  shape.forEach((d, i) => checkInt(op, `batch.shape[${i}]`, d));
  const [n, h, w, c] = shape;
  if (data.length !== n * h * w * c)
    throw invalidRange(
      op,
      'batch.data',
      `${n * h * w * c} values for shape [${shape}]`,
      `${data.length} values`,
    );
  return [n, h, w, c];
}

function checkSize(op: string, size: unknown): [number, number] {
  if (typeof size === 'number') {
    checkInt(op, 'size', size, 1);
    return [size, size];
  }
  if (!Array.isArray(size) || size.length !== 2)
    throw invalidType(op, 'size', 'an integer or [height, width]', size);
  return [checkInt(op, 'size[0]', size[0], 1), checkInt(op, 'size[1]', size[1], 1)];
}

function sameKind(
  data: Uint8Array | Float32Array,
  length: number,
  out: Float32Array | undefined,
): Uint8Array | Float32Array {
  return data instanceof Uint8Array ? new Uint8Array(length) : floatOutput(length, out);
}

/** Applies transforms in order. */
export function compose(transforms: readonly Transform[]): Transform {
  if (!Array.isArray(transforms) || transforms.some((t) => typeof t !== 'function'))
    throw invalidType(
      'data.transforms.compose',
      'transforms',
      'an array of transforms',
      transforms,
    );
  const list = [...transforms];
  return (batch, generator, out) => {
    let b = batch;
    for (let i = 0; i < list.length; i++)
      b = list[i](b, generator, i === list.length - 1 ? out : undefined);
    return b;
  };
}

/** uint8 -> float32 times `scale` (1/255: pixels in [0, 1], as torchvision's ToTensor). Float input passes unchanged. */
export function toFloat(scale = 1 / 255): Transform {
  checkNumber('data.transforms.toFloat', 'scale', scale);
  return (batch, _generator, into) => {
    checkBatch('data.transforms.toFloat', batch);
    if (batch.data instanceof Float32Array) return batch;
    const src = batch.data;
    const out = floatOutput(src.length, into);
    for (let i = 0; i < src.length; i++) out[i] = src[i] * scale;
    return { data: out, shape: batch.shape };
  };
}

/**
 * (x - mean[c]) / std[c] per channel (one value applies to every channel). uint8 input is read as
 * x/255 first, i.e. toFloat() then normalize in one pass, as torchvision's ToTensor + Normalize.
 */
export function normalize(
  mean: number | readonly number[],
  std: number | readonly number[],
): Transform {
  const op = 'data.transforms.normalize';
  const means = typeof mean === 'number' ? [mean] : mean;
  const stds = typeof std === 'number' ? [std] : std;
  if (!Array.isArray(means) || means.length === 0)
    throw invalidType(op, 'mean', 'a number or an array of numbers', mean);
  if (!Array.isArray(stds) || stds.length !== means.length)
    throw invalidType(op, 'std', `a number or an array of ${means.length} numbers (as mean)`, std);
  means.forEach((m, i) => checkNumber(op, `mean[${i}]`, m));
  stds.forEach((s, i) => {
    checkNumber(op, `std[${i}]`, s);
    if (!(s > 0) || !Number.isFinite(s))
      throw invalidRange(op, `std[${i}]`, 'a positive number', s);
  });
  return (batch, _generator, into) => {
    const [, , , c] = checkBatch(op, batch);
    if (means.length !== 1 && means.length !== c)
      throw invalidRange(op, 'mean', `1 or ${c} values for ${c} channels`, means);
    const inScale = batch.data instanceof Uint8Array ? 1 / 255 : 1;
    // x * a[k] + b[k] with a = scale / std, b = -mean / std.
    const a = new Float64Array(c);
    const b = new Float64Array(c);
    for (let k = 0; k < c; k++) {
      const m = means.length === 1 ? means[0] : means[k];
      const s = stds.length === 1 ? stds[0] : stds[k];
      a[k] = inScale / s;
      b[k] = -m / s;
    }
    const src = batch.data;
    const out = floatOutput(src.length, into);
    if (c === 1) {
      const a0 = a[0];
      const b0 = b[0];
      for (let i = 0; i < src.length; i++) out[i] = src[i] * a0 + b0;
    } else {
      for (let i = 0; i < src.length; i += c)
        for (let k = 0; k < c; k++) out[i + k] = src[i + k] * a[k] + b[k];
    }
    return { data: out, shape: batch.shape };
  };
}

export interface RandomCropOptions {
  /** Pixels added on every side before cropping (default 0). */
  padding?: number;
  /** Value of the padding, in the batch's units (default 0). */
  fill?: number;
}

/**
 * A random `size` window of each image padded by `padding` on every side (as torchvision's
 * RandomCrop(size, padding)). Per sample the generator draws the top offset, then the left one.
 */
export function randomCrop(
  size: number | readonly [number, number],
  options: RandomCropOptions = {},
): Transform {
  const op = 'data.transforms.randomCrop';
  const [oh, ow] = checkSize(op, size);
  const padding = checkInt(op, 'padding', options.padding ?? 0);
  const fill = checkNumber(op, 'fill', options.fill ?? 0);
  return (batch, generator, into) => {
    const [n, h, w, c] = checkBatch(op, batch);
    const ph = h + 2 * padding;
    const pw = w + 2 * padding;
    if (oh > ph || ow > pw)
      throw invalidRange(op, 'size', `at most the padded image size [${ph}, ${pw}]`, [oh, ow]);
    const src = batch.data;
    const out = sameKind(src, n * oh * ow * c, into);
    if (fill !== 0 || out === into) out.fill(fill); // offered memory holds stale values
    const rowOut = ow * c;
    for (let s = 0; s < n; s++) {
      const top = generator.integer(ph - oh + 1) - padding;
      const left = generator.integer(pw - ow + 1) - padding;
      // Columns of the window that fall inside the image: [x0, x1) in output coordinates.
      const x0 = Math.max(0, -left);
      const x1 = Math.min(ow, w - left);
      if (x1 <= x0) continue;
      const count = (x1 - x0) * c;
      for (let y = 0; y < oh; y++) {
        const sy = top + y;
        if (sy < 0 || sy >= h) continue;
        const from = ((s * h + sy) * w + left + x0) * c;
        const to = (s * oh + y) * rowOut + x0 * c;
        for (let i = 0; i < count; i++) out[to + i] = src[from + i];
      }
    }
    return { data: out, shape: [n, oh, ow, c] };
  };
}

/** Mirrors each image left-right with probability p (one generator draw per sample). */
export function randomHorizontalFlip(p = 0.5): Transform {
  const op = 'data.transforms.randomHorizontalFlip';
  checkNumber(op, 'p', p);
  if (p < 0 || p > 1) throw invalidRange(op, 'p', 'a probability in [0, 1]', p);
  return (batch, generator, into) => {
    const [n, h, w, c] = checkBatch(op, batch);
    const src = batch.data;
    const out = sameKind(src, src.length, into);
    const imageSize = h * w * c;
    for (let s = 0; s < n; s++) {
      const base = s * imageSize;
      if (!(generator.uniform() < p)) {
        for (let i = base; i < base + imageSize; i++) out[i] = src[i];
        continue;
      }
      for (let y = 0; y < h; y++) {
        const row = base + y * w * c;
        for (let x = 0; x < w; x++) {
          const to = row + x * c;
          const from = row + (w - 1 - x) * c;
          for (let k = 0; k < c; k++) out[to + k] = src[from + k];
        }
      }
    }
    return { data: out, shape: batch.shape };
  };
}

/** Source index pairs and weights of bilinear sampling along one axis (half-pixel centres). */
function axisWeights(
  inSize: number,
  outSize: number,
): { i0: Int32Array; i1: Int32Array; t: Float32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const t = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
    const lo = Math.floor(x);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    t[o] = x - lo;
  }
  return { i0, i1, t };
}

/**
 * Bilinear resize to `size` ([height, width] or one number for both), with PyTorch's
 * align_corners=False sampling (pixel centres, edges clamped) and no antialiasing, meant for
 * enlarging (e.g. 28 -> 32). uint8 stays uint8 (rounded), float32 stays float32.
 */
export function resize(size: number | readonly [number, number]): Transform {
  const op = 'data.transforms.resize';
  const [oh, ow] = checkSize(op, size);
  type AxisWeights = ReturnType<typeof axisWeights>;
  let cache: { h: number; w: number; ys: AxisWeights; xs: AxisWeights } | null = null;
  return (batch, _generator, into) => {
    const [n, h, w, c] = checkBatch(op, batch);
    if (h === 0 || w === 0)
      throw invalidRange(op, 'batch.shape', 'images of at least 1x1 pixels', batch.shape);
    if (cache === null || cache.h !== h || cache.w !== w)
      cache = { h, w, ys: axisWeights(h, oh), xs: axisWeights(w, ow) };
    const { i0: y0, i1: y1, t: ty } = cache.ys;
    const { i0: x0, i1: x1, t: tx } = cache.xs;
    const src = batch.data;
    const isBytes = src instanceof Uint8Array;
    const buffer = isBytes ? new Uint8Array(n * oh * ow * c) : floatOutput(n * oh * ow * c, into);
    // Writing uint8 through a clamped view rounds to nearest instead of truncating.
    const out = isBytes ? new Uint8ClampedArray(buffer.buffer) : (buffer as Float32Array);
    // Separable: each input row is resized horizontally into `rows`, then rows are blended.
    const rowLen = ow * c;
    const rows = new Float32Array(h * rowLen);
    let o = 0;
    for (let s = 0; s < n; s++) {
      const inBase = s * h * w * c;
      for (let y = 0; y < h; y++) {
        const inRow = inBase + y * w * c;
        let r = y * rowLen;
        if (c === 1) {
          for (let x = 0; x < ow; x++) {
            const left = src[inRow + x0[x]];
            rows[r++] = left + (src[inRow + x1[x]] - left) * tx[x];
          }
          continue;
        }
        for (let x = 0; x < ow; x++) {
          const a = inRow + x0[x] * c;
          const b = inRow + x1[x] * c;
          const t = tx[x];
          for (let k = 0; k < c; k++) {
            const left = src[a + k];
            rows[r++] = left + (src[b + k] - left) * t;
          }
        }
      }
      for (let y = 0; y < oh; y++) {
        const a = y0[y] * rowLen;
        const b = y1[y] * rowLen;
        const t = ty[y];
        for (let j = 0; j < rowLen; j++) {
          const top = rows[a + j];
          out[o++] = top + (rows[b + j] - top) * t;
        }
      }
    }
    return { data: buffer, shape: [n, oh, ow, c] };
  };
}
