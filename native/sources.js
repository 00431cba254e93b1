// Prints parts of native/sources.json for binding.gyp (`<!@(node native/sources.js ...)`):
//   node native/sources.js baseline | cflags | isa-sources NAME | isa-flags NAME
'use strict';
const list = require('./sources.json');
const [what, name] = process.argv.slice(2);
const parts = {
  baseline: () => list.baseline,
  cflags: () => list.cflags,
  'isa-sources': () => list.isa[name].sources,
  'isa-flags': () => list.isa[name].flags,
};
if (!parts[what]) {
  process.stderr.write(`sources.js: unknown part '${what}'\n`);
  process.exit(1);
}
process.stdout.write(parts[what]().join(' '));
