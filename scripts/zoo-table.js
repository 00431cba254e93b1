// Prints the model zoo as a markdown table (name, family, parameters, conv+linear MACs at the
// default input size, input) for the README: `npm run build:ts && node scripts/zoo-table.js`.
'use strict';
const { models, nn, profile } = require('../dist');

const rows = [
  '| model | family | parameters | MACs (conv+linear) | input |',
  '|---|---|---:|---:|---|',
];
for (const m of models.list()) {
  const model = nn.init.skipInit(() => models.create(m.name));
  const s = profile.summary(model, [1, m.inputSize, m.inputSize, m.inChannels]);
  const macs =
    s.totals.macs >= 1e9
      ? `${(s.totals.macs / 1e9).toFixed(2)} G`
      : `${(s.totals.macs / 1e6).toFixed(1)} M`;
  rows.push(
    `| \`${m.name}\` | ${m.family} | ${s.totals.params.toLocaleString('en-US')} | ${macs} | ${m.inputSize}×${m.inputSize}×${m.inChannels} |`,
  );
  if (global.gc) global.gc();
}
console.log(rows.join('\n'));
