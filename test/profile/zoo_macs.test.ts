// profile.summary's conv+linear MACs equal the reference table exactly for every torchvision
// name at its native input size (batch 1). Structure only (skipInit): zero weights give the
// same shapes and counts.
import * as fs from 'fs';
import * as path from 'path';
import { models, nn, profile } from '../../lib';

const rows = fs
  .readFileSync(path.join(__dirname, '..', 'fixtures', 'torchvision-0.14-zoo.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'));

test.each(rows.map(([name, params, , input, macs]) => [name, +params, +input, +macs] as const))(
  '%s: parameters and MACs equal torchvision 0.14 (%i parameters, input %i)',
  (name, params, input, macs) => {
    const model = nn.init.skipInit(() => models.create(name));
    const s = profile.summary(model, [1, input, input, 3]);
    expect(s.totals.params).toBe(params);
    expect(s.totals.macs).toBe(macs);
  },
);
