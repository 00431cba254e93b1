// After `prebuildify`, copy the OpenMP runtime next to the prebuilt addon. Debian's libgomp.a
// cannot be linked into a shared object, so the .node needs libgomp.so.1 at run time; it is
// linked with RUNPATH=$ORIGIN, so a copy beside it is found on machines without a compiler.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`);
if (process.platform !== 'linux') process.exit(0);
const source = execFileSync(process.env.CXX || 'g++', ['-print-file-name=libgomp.so.1'], {
  encoding: 'utf8',
}).trim();
if (!path.isAbsolute(source) || !fs.existsSync(source)) {
  console.error(`ship-libgomp: libgomp.so.1 not found (compiler printed '${source}')`);
  process.exit(1);
}
fs.copyFileSync(fs.realpathSync(source), path.join(dir, 'libgomp.so.1'));
console.log(`ship-libgomp: copied ${fs.realpathSync(source)} to ${dir}`);
