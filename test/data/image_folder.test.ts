// imageFolder: class folders sorted, files found recursively, shapes checked; with a fake
// decoder (always), with real sharp when it is installed, and the error when it is not.
import * as fs from 'fs';
import * as path from 'path';
import * as data from '../../lib/data';
import { tempDir } from './files';

const dir = tempDir('folder');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function touch(relative: string): void {
  const file = path.join(dir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'not really an image');
}

/** A fake decoder: every pixel value is the file name's length; size from the request or 2x3. */
const fakeDecoder: data.datasets.ImageDecoder = async (file, { size, channels }) => {
  const [height, width] = size ?? (file.includes('odd') ? [5, 5] : [2, 3]);
  const value = path.basename(file).length;
  return { data: new Uint8Array(height * width * channels).fill(value), height, width, channels };
};

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('with a fake decoder', () => {
  const root = path.join(dir, 'fake');
  beforeAll(() => {
    touch('fake/dog/b.png');
    touch('fake/dog/nested/aa.JPG');
    touch('fake/cat/c.jpeg');
    touch('fake/cat/notes.txt');
    touch('fake/zebra/zzzz.png');
  });

  test('classes sorted, files recursive and sorted, extensions filtered, shape from the first image', async () => {
    const set = await data.datasets.imageFolder({ root, decoder: fakeDecoder });
    expect(set.classes).toEqual(['cat', 'dog', 'zebra']);
    expect(set.shape).toEqual([2, 3, 3]);
    expect(set.length).toBe(4);
    expect([...set.labels]).toEqual([0, 1, 1, 2]);
    // cat/c.jpeg, dog/b.png, dog/nested/aa.JPG, zebra/zzzz.png
    expect([0, 1, 2, 3].map((i) => set.get(i).image[0])).toEqual([6, 5, 6, 8]);
  });

  test('size and channels are passed to the decoder', async () => {
    const set = await data.datasets.imageFolder({
      root,
      decoder: fakeDecoder,
      size: [4, 6],
      channels: 1,
    });
    expect(set.shape).toEqual([4, 6, 1]);
    expect(set.get(3).image.length).toBe(24);
  });

  test('images of another size without { size }, empty classes, failing decoders', async () => {
    touch('mixed/a/one.png');
    touch('mixed/b/odd.png');
    const mixed = await rejection(
      data.datasets.imageFolder({ root: path.join(dir, 'mixed'), decoder: fakeDecoder }),
    );
    expect(mixed.name).toBe('DatasetFileError');
    expect(mixed.message).toMatch(
      /odd\.png: is 5x5, the dataset's images are 2x3 \(pass \{ size \} to resize all\)/,
    );
    fs.mkdirSync(path.join(dir, 'empty/a'), { recursive: true });
    touch('empty/b/x.png');
    const empty = await rejection(
      data.datasets.imageFolder({ root: path.join(dir, 'empty'), decoder: fakeDecoder }),
    );
    expect(empty.message).toMatch(/no images \(\.png, \.jpg, \.jpeg\) in class folder 'a'/);
    const failing = await rejection(
      data.datasets.imageFolder({
        root,
        decoder: async () => {
          throw new Error('bad huffman table');
        },
      }),
    );
    expect(failing.name).toBe('DatasetFileError');
    expect(failing.message).toMatch(/c\.jpeg: cannot decode the image \(bad huffman table\)/);
    const missing = await rejection(data.datasets.imageFolder({ root: path.join(dir, 'missing') }));
    expect(missing.message).toMatch(/no such directory/);
  });
});

test('without sharp: a clear error naming the optional dependency', async () => {
  await jest.isolateModulesAsync(async () => {
    jest.doMock(
      'sharp',
      () => {
        throw new Error("Cannot find module 'sharp'");
      },
      { virtual: true },
    );
    const isolated = (await import('../../lib/data')) as typeof data;
    touch('nosharp/a/x.png');
    const error = await rejection(
      isolated.datasets.imageFolder({ root: path.join(dir, 'nosharp') }),
    );
    jest.dontMock('sharp');
    expect(error.message).toMatch(
      /needs the optional dependency 'sharp'.*npm install sharp.*pass \{ decoder \}/,
    );
  });
});

// sharp is an optional dependency that `npm ci` installs from the lock file (prebuilt
// @img/sharp-* packages), so the real decoder is always tested here.
describe('with sharp', () => {
  test('PNG pixels decode exactly; grayscale and RGB; resize', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sharp = require('sharp');
    const root = path.join(dir, 'png');
    const rgb = Uint8Array.from({ length: 4 * 5 * 3 }, (_, i) => (i * 13) % 256);
    const gray = Uint8Array.from({ length: 4 * 5 }, (_, i) => i * 10);
    fs.mkdirSync(path.join(root, 'colour'), { recursive: true });
    fs.mkdirSync(path.join(root, 'grey'), { recursive: true });
    await sharp(Buffer.from(rgb), { raw: { width: 5, height: 4, channels: 3 } })
      .png()
      .toFile(path.join(root, 'colour', 'a.png'));
    await sharp(Buffer.from(gray), { raw: { width: 5, height: 4, channels: 1 } })
      .png()
      .toFile(path.join(root, 'grey', 'b.png'));
    const set = await data.datasets.imageFolder({ root });
    expect(set.shape).toEqual([4, 5, 3]);
    expect([...set.get(0).image]).toEqual([...rgb]);
    const grey = set.get(1).image; // grayscale expanded to RGB: equal channels
    for (let p = 0; p < 20; p++)
      expect([grey[3 * p], grey[3 * p + 1], grey[3 * p + 2]]).toEqual([gray[p], gray[p], gray[p]]);
    const small = await data.datasets.imageFolder({ root, channels: 1, size: 8 });
    expect(small.shape).toEqual([8, 8, 1]);
    expect(small.get(1).image[0]).toBe(0);
    fs.writeFileSync(path.join(root, 'grey', 'broken.png'), 'garbage');
    const error = await rejection(data.datasets.imageFolder({ root }));
    expect(error.message).toMatch(/broken\.png: cannot decode the image/);
  });
});
