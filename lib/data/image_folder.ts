// An image-folder dataset (torchvision's ImageFolder): root/<class>/**/<image>.png|jpg, classes
// sorted by folder name. Images are decoded once, at load, into one uint8 HWC array (decoding
// is asynchronous, which keeps Dataset.get synchronous and cheap). PNG/JPEG decoding uses the
// optional dependency `sharp`, required lazily: without it, pass your own `decoder`.
import * as fs from 'fs';
import * as path from 'path';
import { checkInt, invalidRange, invalidType } from '../check';
import { ArrayDataset } from './dataset';
import { DatasetFileError } from './files';

export interface DecodedImage {
  /** height * width * channels bytes, HWC. */
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

export interface DecodeRequest {
  /** Resize to [height, width] (stretching, as torchvision's Resize((h, w))), or keep the size. */
  size: readonly [number, number] | null;
  channels: 1 | 3;
}

export type ImageDecoder = (file: string, request: DecodeRequest) => Promise<DecodedImage>;

export interface ImageFolderOptions {
  root: string;
  /** Resize every image to [height, width] (or size x size). Without it all images must share one size. */
  size?: number | readonly [number, number];
  /** 3 (RGB, default) or 1 (grayscale). */
  channels?: 1 | 3;
  /** File extensions to load, lower case (default .png, .jpg, .jpeg). */
  extensions?: readonly string[];
  /** Replaces sharp (e.g. for other formats, or in tests). */
  decoder?: ImageDecoder;
  /** Images decoded at once (default 4). */
  concurrency?: number;
}

const OP = 'data.datasets.imageFolder';

interface SharpPipeline {
  resize(width: number, height: number, options: { fit: string }): SharpPipeline;
  toColourspace(space: string): SharpPipeline;
  removeAlpha(): SharpPipeline;
  raw(): SharpPipeline;
  toBuffer(options: {
    resolveWithObject: true;
  }): Promise<{ data: Buffer; info: { width: number; height: number; channels: number } }>;
}
type SharpFactory = (file: string, options?: { failOn?: string }) => SharpPipeline;

let sharpFactory: SharpFactory | null = null;

/** Loads sharp on first use; a clear error when the optional dependency is not installed. */
export function loadSharp(): SharpFactory {
  if (sharpFactory !== null) return sharpFactory;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sharpFactory = require('sharp') as SharpFactory;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new Error(
      `convkit.${OP}: decoding PNG/JPEG needs the optional dependency 'sharp', which could not ` +
        `be loaded (${reason}); install it with \`npm install sharp\`, or pass { decoder }`,
    );
  }
  return sharpFactory;
}

/** The default decoder: sharp, converted to sRGB or grayscale, alpha dropped. */
export const sharpDecoder: ImageDecoder = async (file, { size, channels }) => {
  let image = loadSharp()(file, { failOn: 'error' });
  if (size !== null) image = image.resize(size[1], size[0], { fit: 'fill' });
  image = image.toColourspace(channels === 1 ? 'b-w' : 'srgb').removeAlpha();
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { data, height: info.height, width: info.width, channels: info.channels };
};

function listFiles(dir: string, extensions: readonly string[]): string[] {
  const out: string[] = [];
  const entries = fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, extensions));
    else if (extensions.includes(path.extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}

/**
 * Loads root/<class>/... images into an in-memory ArrayDataset (uint8, [H, W, channels]).
 * Classes are the sub-folder names, sorted; each needs at least one image.
 */
export async function imageFolder(options: ImageFolderOptions): Promise<ArrayDataset> {
  if (options === null || typeof options !== 'object')
    throw invalidType(OP, 'options', 'an options object', options);
  const { root } = options;
  if (typeof root !== 'string') throw invalidType(OP, 'root', 'a directory path', root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory())
    throw new DatasetFileError(OP, root, 'no such directory', 'ENOENT');
  let size: [number, number] | null = null;
  if (options.size !== undefined) {
    const s = options.size;
    if (typeof s === 'number') size = [checkInt(OP, 'size', s, 1), s];
    else if (Array.isArray(s) && s.length === 2)
      size = [checkInt(OP, 'size[0]', s[0], 1), checkInt(OP, 'size[1]', s[1], 1)];
    else throw invalidType(OP, 'size', 'an integer or [height, width]', s);
  }
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw invalidRange(OP, 'channels', '1 or 3', channels);
  const extensions = options.extensions ?? ['.png', '.jpg', '.jpeg'];
  if (!Array.isArray(extensions) || extensions.some((e) => typeof e !== 'string'))
    throw invalidType(OP, 'extensions', 'an array of extensions like .png', extensions);
  const decoder = options.decoder ?? sharpDecoder;
  if (typeof decoder !== 'function') throw invalidType(OP, 'decoder', 'a function', decoder);
  const concurrency = checkInt(OP, 'concurrency', options.concurrency ?? 4, 1);

  const classes = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (classes.length === 0) throw new DatasetFileError(OP, root, 'no class folders');
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((name, label) => {
    const found = listFiles(path.join(root, name), extensions);
    if (found.length === 0)
      throw new DatasetFileError(
        OP,
        path.join(root, name),
        `no images (${extensions.join(', ')}) in class folder '${name}'`,
      );
    for (const file of found) {
      files.push(file);
      labels.push(label);
    }
  });

  let shape: [number, number, number] | null = size === null ? null : [size[0], size[1], channels];
  let images: Uint8Array | null = null;
  const store = (index: number, file: string, image: DecodedImage) => {
    if (image === null || typeof image !== 'object' || !(image.data instanceof Uint8Array))
      throw new DatasetFileError(
        OP,
        file,
        'the decoder returned no { data: Uint8Array, height, width, channels }',
      );
    const { height, width } = image;
    if (shape === null) shape = [height, width, channels];
    if (image.channels !== channels)
      throw new DatasetFileError(
        OP,
        file,
        `decoded ${image.channels} channels, expected ${channels}`,
      );
    if (height !== shape[0] || width !== shape[1])
      throw new DatasetFileError(
        OP,
        file,
        `is ${height}x${width}, the dataset's images are ${shape[0]}x${shape[1]} (pass { size } to resize all)`,
      );
    const bytes = shape[0] * shape[1] * channels;
    if (image.data.length !== bytes)
      throw new DatasetFileError(
        OP,
        file,
        `decoded ${image.data.length} bytes for ${height}x${width}x${channels}`,
      );
    images ??= new Uint8Array(files.length * bytes);
    images.set(image.data, index * bytes);
  };
  const decodeOne = async (index: number) => {
    const file = files[index];
    let image: DecodedImage;
    try {
      image = await decoder(file, { size, channels });
    } catch (error) {
      if ((error as Error).message?.startsWith('convkit.')) throw error;
      throw new DatasetFileError(OP, file, `cannot decode the image (${(error as Error).message})`);
    }
    store(index, file, image);
  };
  // The first image fixes the shape when no size is given; then `concurrency` at a time.
  await decodeOne(0);
  let next = 1;
  let failed = false;
  const worker = async () => {
    try {
      while (!failed && next < files.length) await decodeOne(next++);
    } catch (error) {
      failed = true; // the other workers stop after their current image
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length - 1) }, worker));
  return new ArrayDataset({ images: images!, labels, shape: shape!, classes });
}
