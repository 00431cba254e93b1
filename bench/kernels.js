// Every kernel benchmark in bench/kernels/ in turn (each measures the FMA peak and the copy
// bandwidth in its own run and prints the PyTorch ratio when torch is installed).
//   npm run bench -- kernels [--quick] [conv depthwise ...]
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--'));
const dir = path.join(__dirname, 'kernels');
for (const file of fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.js'))
  .sort()) {
  const name = file.slice(0, -3);
  if (only.length && !only.includes(name)) continue;
  console.log(`\n=== ${name} ===`);
  execFileSync(process.execPath, [path.join(dir, file), ...flags], { stdio: 'inherit' });
}
