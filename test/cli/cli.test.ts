// The convkit command line: --help on every command; bad input gives one line and exit code 2.
// Most cases run main() in this process (spawning ts-node costs seconds each); a few spawn the
// real command to check what a shell sees.
import { spawn } from 'child_process';
import * as path from 'path';
import { main } from '../../lib/cli/main';

const root = path.join(__dirname, '..', '..');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function spawnConvkit(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'lib/cli/main.ts', ...args],
      { cwd: root, env: { ...process.env, CONVKIT_DEBUG: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** main() in-process with stdout / stderr (and console) captured. */
async function convkit(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = (text: unknown) => ((stdout += String(text)), true);
  const err = (text: unknown) => ((stderr += String(text)), true);
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(out),
    jest.spyOn(process.stderr, 'write').mockImplementation(err),
    jest.spyOn(console, 'log').mockImplementation((...a) => out(a.join(' ') + '\n')),
    jest.spyOn(console, 'error').mockImplementation((...a) => err(a.join(' ') + '\n')),
  ];
  try {
    const status = await main(args);
    return { status, stdout, stderr };
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
}

function expectOneLineUsageError(r: Run, message: RegExp): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^convkit/);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\s+at /); // no stack trace
}

test('the real command: --help exits 0; an unknown option and a bad value print one line, exit 2', async () => {
  const [help, unknown, bad] = await Promise.all([
    spawnConvkit('train', '--help'),
    spawnConvkit('train', '--bogus'),
    spawnConvkit('train', '--epochs', 'abc'),
  ]);
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('Usage: convkit train');
  expectOneLineUsageError(unknown, /unknown option '--bogus'/);
  expectOneLineUsageError(bad, /--epochs.*'abc' is invalid/);
});

const commands = ['train', 'eval', 'summary', 'bench', 'models', 'info'];

test('--help works for the program and every command', async () => {
  const top = await convkit('--help');
  expect(top.status).toBe(0);
  for (const c of commands) expect(top.stdout).toContain(c);
  for (const c of commands) {
    const r = await convkit(c, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: convkit ${c}`);
    expect(r.stderr).toBe('');
  }
  const train = (await convkit('train', '--help')).stdout;
  for (const option of [
    '--model',
    '--data',
    '--epochs',
    '--batch-size',
    '--optimizer',
    '--lr',
    '--schedule',
    '--seed',
    '--out',
    '--momentum',
    '--weight-decay',
    '--label-smoothing',
    '--resume',
    '--threads',
    '--data-dir',
    '--limit-train',
  ])
    expect(train).toContain(option);
  expect((await convkit('help', 'train')).stdout).toContain('Usage: convkit train');
});

test.each([
  [['train', '--bogus'], /unknown option '--bogus'/],
  [['train', '--epochs', 'abc'], /--epochs.*'abc' is invalid.*integer >= 1/],
  [['train', '--epochs', '0'], /integer >= 1/],
  [['train', '--lr', '-1'], /--lr.*number > 0/],
  [['train', '--batch-size', '1.5'], /--batch-size/],
  [['train', '--label-smoothing', '1'], /\[0, 1\)/],
  [['train', '--optimizer', 'sgdd'], /Allowed choices are sgd, adam/],
  [['train', '--data', 'imagenet'], /Allowed choices are fashion-mnist/],
  [['train', '--model-options', '{oops'], /JSON object/],
  [['train', '--model', 'no_such_model'], /unknown model 'no_such_model'/],
  [['train', '--resume'], /--resume needs --out/],
  [['trian'], /unknown command 'trian'.*train/],
  [['summary'], /missing required argument 'model'/],
  [['summary', 'no_such_model'], /unknown model/],
  [['bench', 'kernels-of-doom'], /Allowed choices are blocks, models/],
  [['models', 'extra'], /too many arguments/],
  [['info', '--verbose'], /unknown option/],
])('convkit %j: one line, exit code 2', async (args, message) => {
  expectOneLineUsageError(await convkit(...args), message);
});

test('info prints the runtime and --json parses', async () => {
  const r = await convkit('info', '--json');
  expect(r.status).toBe(0);
  const info = JSON.parse(r.stdout);
  expect(typeof info.isa).toBe('string');
  expect(info.threads).toBeGreaterThanOrEqual(1);
  expect((await convkit('info')).stdout).toMatch(/isa:/);
  expect((await convkit('--version')).stdout.trim()).toBe(info.version);
});

test('models lists the registry (as JSON too)', async () => {
  const r = await convkit('models', '--json');
  expect(r.status).toBe(0);
  expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
});
