// `npm run bench -- <name> [args]`: runs bench/<name>.js (peak, gemm, ...).
'use strict';
const fs = require('fs');
const path = require('path');

const [name = 'gemm', ...rest] = process.argv.slice(2);
const available = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && !['run.js', 'common.js'].includes(f))
  .map((f) => f.slice(0, -3));
if (!available.includes(name)) {
  console.error(`bench: unknown benchmark '${name}'; available: ${available.join(', ')}`);
  process.exit(2);
}
process.argv = [process.argv[0], path.join(__dirname, `${name}.js`), ...rest];
require(`./${name}.js`);
