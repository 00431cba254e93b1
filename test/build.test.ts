// binding.gyp (node-gyp) and CMakeLists.txt (cmake-js) must build the same sources with the
// same flags: both read native/sources.json. These tests fail when a source file is missing
// from the list, listed twice, or when either build file stops reading the list.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');
const list = JSON.parse(fs.readFileSync(path.join(root, 'native/sources.json'), 'utf8')) as {
  baseline: string[];
  isa: Record<string, { arch: string; flags: string[]; sources: string[] }>;
  cflags: string[];
};

function walk(dir: string): string[] {
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
}

test('every native .cc file is built exactly once', () => {
  const listed = [...list.baseline, ...Object.values(list.isa).flatMap((i) => i.sources)];
  expect(new Set(listed).size).toBe(listed.length);
  const onDisk = walk('native').filter((f) => f.endsWith('.cc') && !f.includes('/isa/neon/'));
  expect([...listed].sort()).toEqual(onDisk.sort());
});

test('ISA sources live in their own folder and carry their own flags', () => {
  for (const [name, isa] of Object.entries(list.isa)) {
    for (const source of isa.sources) expect(source.startsWith(`native/isa/${name}/`)).toBe(true);
    if (name !== 'generic') expect(isa.flags.length).toBeGreaterThan(0);
  }
  expect(list.cflags).not.toContain('-march=native');
  for (const isa of Object.values(list.isa)) expect(isa.flags).not.toContain('-march=native');
});

test('binding.gyp reads the list through native/sources.js', () => {
  const gyp = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8');
  for (const part of [
    'baseline',
    'cflags',
    'isa-sources avx512',
    'isa-flags avx512',
    'isa-sources avx2',
    'isa-flags avx2',
    'isa-sources generic',
  ])
    expect(gyp).toContain(`node native/sources.js ${part}`);
  const printed = execFileSync(process.execPath, ['native/sources.js', 'baseline'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(printed.split(' ')).toEqual(list.baseline);
});

test('CMakeLists.txt reads the same list', () => {
  const cmake = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
  expect(cmake).toContain('native/sources.json');
  expect(cmake).toMatch(/json_list\(BASELINE_SOURCES baseline\)/);
  expect(cmake).toMatch(/isa \$\{isa\} sources/);
  expect(cmake).toMatch(/isa \$\{isa\} flags/);
});

test('ISA code stays out of the baseline translation units', () => {
  for (const source of list.baseline) {
    const text = fs.readFileSync(path.join(root, source), 'utf8');
    expect(text).not.toMatch(/#include\s*<immintrin\.h>/);
    expect(text).not.toMatch(/target_clones|__attribute__\(\(target/);
  }
});
