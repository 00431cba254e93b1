#!/usr/bin/env node
// Draws the Fashion-MNIST subset bundled under data/fashion-mnist/ from the full dataset:
// stratified (the same number of images per class), seeded, reproducible byte for byte.
//
//   node scripts/make-fashion-mnist-subset.js [SOURCE_DIR] [OUT_DIR]
//
// SOURCE_DIR (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist) holds the
// four original gzip IDX files; OUT_DIR defaults to data/fashion-mnist. For each split and each
// class, the indices of that class are shuffled (Fisher-Yates driven by xoshiro128** seeded with
// SEED through splitmix32, as convkit's Generator) and the first PER_CLASS are kept; the kept
// indices are then sorted, so the subset keeps the original file order. Prints the provenance
// that data/fashion-mnist/README.md records.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { Buffer } = require('buffer');

const SEED = 20240531;
const SPLITS = [
  { prefix: 'train', perClass: 1000 },
  { prefix: 't10k', perClass: 200 },
];
const CLASSES = 10;

/** xoshiro128** seeded through splitmix32 (the same algorithm as lib/random.ts). */
function makeRandom(seed) {
  const s = new Uint32Array(4);
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  const rotl = (v, k) => ((v << k) | (v >>> (32 - k))) >>> 0;
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  return { integer: (n) => Math.floor(((next() >>> 8) / 16777216) * n) };
}

function readIdx(file) {
  const raw = zlib.gunzipSync(fs.readFileSync(file));
  const ndims = raw[3];
  const dims = [];
  for (let i = 0; i < ndims; i++) dims.push(raw.readUInt32BE(4 + 4 * i));
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 8)
    throw new Error(`${file}: not a ubyte IDX file`);
  return { dims, data: raw.subarray(4 + 4 * ndims) };
}

function writeIdx(file, dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 8;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  // mtime 0 in the gzip header (zlib writes none) keeps the output identical run to run.
  fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([header, data]), { level: 9 }));
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function main() {
  const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
  const out = process.argv[3] ?? path.join(__dirname, '..', 'data', 'fashion-mnist');
  fs.mkdirSync(out, { recursive: true });
  const random = makeRandom(SEED);
  console.log(`seed ${SEED}`);
  for (const { prefix, perClass } of SPLITS) {
    const imagesName = `${prefix}-images-idx3-ubyte.gz`;
    const labelsName = `${prefix}-labels-idx1-ubyte.gz`;
    const images = readIdx(path.join(source, imagesName));
    const labels = readIdx(path.join(source, labelsName));
    const [n, h, w] = images.dims;
    const byClass = Array.from({ length: CLASSES }, () => []);
    for (let i = 0; i < n; i++) byClass[labels.data[i]].push(i);
    const kept = [];
    for (let c = 0; c < CLASSES; c++) {
      const list = byClass[c];
      if (list.length < perClass) throw new Error(`class ${c} has only ${list.length} images`);
      for (let i = list.length - 1; i > 0; i--) {
        const j = random.integer(i + 1);
        [list[i], list[j]] = [list[j], list[i]];
      }
      kept.push(...list.slice(0, perClass));
    }
    kept.sort((a, b) => a - b);
    const size = h * w;
    const subImages = Buffer.alloc(kept.length * size);
    const subLabels = Buffer.alloc(kept.length);
    kept.forEach((index, k) => {
      images.data.copy(subImages, k * size, index * size, (index + 1) * size);
      subLabels[k] = labels.data[index];
    });
    writeIdx(path.join(out, imagesName), [kept.length, h, w], subImages);
    writeIdx(path.join(out, labelsName), [kept.length], subLabels);
    console.log(`${prefix}: ${kept.length} of ${n} (${perClass} per class)`);
    for (const name of [imagesName, labelsName])
      console.log(`  source ${name} sha256 ${sha256(path.join(source, name))}`);
    for (const name of [imagesName, labelsName])
      console.log(
        `  subset ${name} sha256 ${sha256(path.join(out, name))} (${fs.statSync(path.join(out, name)).size} bytes)`,
      );
  }
}

main();
