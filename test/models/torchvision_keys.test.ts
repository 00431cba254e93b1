// Every torchvision-named constructor against torchvision 0.14: parameter count and state-dict
// entry count from the reference table, and the state-dict keys and shapes in order from the
// fixtures in test/fixtures/zoo (bench/parity/export_torchvision_keys.py).
import * as fs from 'fs';
import * as path from 'path';
import { models, nn, noGrad, tidy } from '../../lib';

const fixtures = path.join(__dirname, '..', 'fixtures');
const table = fs
  .readFileSync(path.join(fixtures, 'torchvision-0.14-zoo.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .map(([name, params, entries, input, macs]) => ({
    name,
    params: +params,
    entries: +entries,
    input: +input,
    macs: +macs,
  }));

const registered = new Set(models.list().map((m) => m.name));

describe.each(table.filter((row) => registered.has(row.name)))('$name', (row) => {
  test('parameters, state-dict entries, keys and shapes equal torchvision 0.14', () => {
    tidy(() => {
      // skipInit: structure only, so the 100M-parameter nets build in milliseconds.
      const model = nn.init.skipInit(() => noGrad(() => models.create(row.name)));
      const sd = model.stateDict();
      expect(model.parameters().reduce((n, p) => n + p.size, 0)).toBe(row.params);
      expect(sd.size).toBe(row.entries);
      const file = path.join(fixtures, 'zoo', `${row.name}.json`);
      const expected = JSON.parse(fs.readFileSync(file, 'utf8')).keys as Array<[string, number[]]>;
      const actual = [...sd].map(([k, t]) => [k, [...t.shape]]);
      expect(actual).toEqual(expected);
      for (const t of sd.values()) t.dispose();
    });
  });
});

test('every torchvision name of the reference table is in the zoo', () => {
  const missing = table.map((r) => r.name).filter((n) => !registered.has(n));
  expect(missing).toEqual([]);
});

describe('registry', () => {
  test('list() describes every model; create() builds by name', () => {
    const entries = models.list();
    expect(entries.length).toBeGreaterThanOrEqual(table.length);
    for (const e of entries) {
      expect(typeof e.family).toBe('string');
      expect(e.inputSize).toBeGreaterThan(0);
      expect(e.paper.length).toBeGreaterThan(5);
    }
    const lenet = entries.find((e) => e.name === 'lenet5')!;
    expect(lenet.parameters()).toBe(61706);
  });
  test('an unknown name is an error listing the close matches', () => {
    expect(() => models.create('resnet19')).toThrow(
      /unknown model 'resnet19'; did you mean resnet18/,
    );
    expect(() => models.create('mobilenetv2')).toThrow(/did you mean mobilenet_v2/);
  });
});
