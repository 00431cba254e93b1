// Rewrites the source lists of native/sources.json from the files on disk (flags are kept):
// baseline = native/{runtime,kernels,binding}/**/*.cc, each ISA = native/isa/<isa>/*.cc.
// Run it after adding or removing a native source; test/build.test.ts checks the result.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const file = path.join(root, 'native', 'sources.json');

function walk(dir) {
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]))
    .filter((f) => f.endsWith('.cc'))
    .sort();
}

const list = JSON.parse(fs.readFileSync(file, 'utf8'));
list.baseline = ['runtime', 'kernels', 'binding'].flatMap((d) => walk(`native/${d}`));
for (const isa of Object.keys(list.isa)) list.isa[isa].sources = walk(`native/isa/${isa}`);
fs.writeFileSync(file, JSON.stringify(list, null, 2) + '\n');
console.log(
  `update-sources: ${list.baseline.length} baseline sources, ` +
    Object.entries(list.isa)
      .map(([k, v]) => `${k} ${v.sources.length}`)
      .join(', '),
);
