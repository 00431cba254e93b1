import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { runtime } from '../lib';
import { expectThrows } from './helpers';

const root = path.join(__dirname, '..');

/** Runs a snippet in a fresh Node process (ts-jest compiled lib/ is not there: use dist or ts). */
function runNode(code: string, env: Record<string, string>, nodeArgs: string[] = []): string {
  return execFileSync(
    process.execPath,
    [...nodeArgs, '-r', 'ts-node/register/transpile-only', '-e', code],
    {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

describe('runtime', () => {
  test('info names the version, the ISA in use and what the CPU has', () => {
    const info = runtime.info();
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.isasAvailable).toContain('generic');
    expect(info.isasAvailable).toContain(info.isa);
    expect([4, 8, 16]).toContain(info.vectorWidth);
    expect(info.gemmKernel).toMatch(/gemm/);
    expect(typeof info.openmp).toBe('boolean');
  });
  test('threads can be set and read', () => {
    const before = runtime.getNumThreads();
    runtime.setNumThreads(1);
    expect(runtime.getNumThreads()).toBe(1);
    runtime.setNumThreads(before);
    expectThrows(() => runtime.setNumThreads(0), 'RangeError', /setNumThreads/);
    expect(() => runtime.setNumThreads(1.5)).toThrow(/setNumThreads/);
  });
  test('every available ISA can be selected; unknown ones are refused', () => {
    const info = runtime.info();
    for (const isa of info.isasAvailable) {
      runtime.setIsa(isa);
      expect(runtime.info().isa).toBe(isa);
      expect(runtime.info().gemmKernel).toContain(isa);
    }
    runtime.setIsa(info.isasAvailable[0]);
    expect(() => runtime.setIsa('sse9')).toThrow(/unknown ISA 'sse9'/);
  });
});

describe('environment variables (fresh processes)', () => {
  const snippet = "const {runtime}=require('./lib'); console.log(JSON.stringify(runtime.info()))";
  test('CONVKIT_ISA forces a lower path', () => {
    const out = JSON.parse(runNode(snippet, { CONVKIT_ISA: 'generic' }));
    expect(out.isa).toBe('generic');
  });
  test('CONVKIT_NUM_THREADS and OMP_NUM_THREADS set the thread count', () => {
    expect(JSON.parse(runNode(snippet, { CONVKIT_NUM_THREADS: '1' })).threads).toBe(1);
    expect(
      JSON.parse(runNode(snippet, { OMP_NUM_THREADS: '3', CONVKIT_NUM_THREADS: '' })).threads,
    ).toBe(3);
  });
  test('CONVKIT_WINOGRAD=0 keeps the automatic convolution off Winograd', () => {
    const conv =
      "const {conv2dParams,convNative}=require('./lib/kernels/conv');" +
      'console.log(convNative.conv2dAlgorithm(conv2dParams([2,16,16,32],[32,32,3,3],{padding:1}).params))';
    expect(runNode(conv, {}).trim()).toBe('winograd');
    expect(runNode(conv, { CONVKIT_WINOGRAD: '0' }).trim()).not.toBe('winograd');
  });
  // Large tensors ask for transparent huge pages (native/runtime/memory.cc). What the kernel
  // gives depends on its THP mode: on request ("madvise": ours only), to every large mapping
  // ("always") or never.
  test('tensors of 8 MB+ get huge pages where the kernel gives them on request, unless CONVKIT_HUGE_PAGES=0', () => {
    const mode = (() => {
      try {
        return /\[(\w+)\]/.exec(
          readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'),
        )?.[1];
      } catch {
        return undefined;
      }
    })();
    const code = `
      const fs = require('fs');
      const huge = () => {
        try { return +/AnonHugePages:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]; }
        catch { return 0; }
      };
      const before = huge();
      const { zeros } = require('./lib');
      const t = zeros([16 << 20]);  // 64 MB, written by the zero fill
      t.data[t.size - 1] = 3;
      console.log(JSON.stringify({ huge: huge() - before, last: t.data[t.size - 1] }));`;
    const on = JSON.parse(runNode(code, {}));
    const off = JSON.parse(runNode(code, { CONVKIT_HUGE_PAGES: '0' }));
    expect([on.last, off.last]).toEqual([3, 3]);
    if (mode === 'madvise') {
      expect(on.huge).toBeGreaterThan(0);
      expect(off.huge).toBe(0);
    } else if (mode === 'always') {
      expect(on.huge).toBeGreaterThan(0);
    } else {
      expect([on.huge, off.huge]).toEqual([0, 0]);
    }
  });
  test('an unknown CONVKIT_ISA is a clear error', () => {
    expect(() => runNode(snippet, { CONVKIT_ISA: 'avx9000' })).toThrow(/CONVKIT_ISA='avx9000'/);
  });
  test('tensors dropped without dispose() return their memory when collected', () => {
    const code = `
      const { zeros, memory } = require('./lib');
      const base = memory.stats().liveBytes;
      for (let i = 0; i < 50; i++) zeros([100000]);
      const held = memory.stats().liveBytes - base;
      global.gc();
      setTimeout(() => { global.gc(); setTimeout(() => {
        console.log(JSON.stringify({ held, after: memory.stats().liveBytes - base })); }, 50); }, 50);`;
    const { held, after } = JSON.parse(runNode(code, {}, ['--expose-gc']));
    expect(held).toBeGreaterThanOrEqual(50 * 400000);
    expect(after).toBeLessThan(held / 10);
  });
  test('disposed tensors do not make V8 collect garbage (a training step holds and frees GBs)', () => {
    // Each "step" holds 100 x 8 MB, then disposes them, as tidy does. V8 counts ArrayBuffer
    // bytes as external memory and would start a major GC per 64 MB of growth (~12 per step).
    const code = `
      const { PerformanceObserver, constants } = require('perf_hooks');
      const { empty } = require('./lib');
      let major = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
      }).observe({ entryTypes: ['gc'] });
      for (let step = 0; step < 5; step++) {
        const held = [];
        for (let i = 0; i < 100; i++) held.push(empty([2 << 20]));
        held.forEach((t) => t.dispose());
      }
      setTimeout(() => console.log(JSON.stringify({ major })), 50);`;
    const { major } = JSON.parse(runNode(code, {}));
    expect(major).toBeLessThanOrEqual(12);
  });
  test("a disposed tensor's late GC finalizer never frees memory reused by a newer tensor", () => {
    // dispose() returns the block to the pool at once; the old buffer's finalizer runs later,
    // when the pool may already have handed the same address to another tensor.
    const code = `
      const { zeros, memory } = require('./lib');
      const base = memory.stats().liveBytes;
      let b;
      (() => { const a = zeros([4096]); a.dispose(); b = zeros([4096]); })();
      global.gc();
      setTimeout(() => {
        global.gc();
        setTimeout(() => {
          const c = zeros([4096]);
          c.data.fill(7);
          console.log(JSON.stringify({ b0: b.data[0], live: memory.stats().liveBytes - base }));
        }, 50);
      }, 50);`;
    const { b0, live } = JSON.parse(runNode(code, {}, ['--expose-gc']));
    expect(b0).toBe(0); // b still owns its memory: c got another block
    expect(live).toBe(2 * 4096 * 4); // b and c live, nothing freed twice
  });
  test('a forked child and worker threads compute correctly (no OpenMP hang)', () => {
    const code = `
      const { Worker } = require('worker_threads');
      const cp = require('child_process');
      const { matmul, ones } = require('./lib');
      const check = () => matmul(ones([300, 200]), ones([200, 100])).data[0];
      if (check() !== 200) throw new Error('parent');
      const w = [0, 1].map(() => new Worker("require('ts-node/register/transpile-only'); const {matmul,ones}=require('./lib'); const v=matmul(ones([300,200]),ones([200,100])).data[5]; require('worker_threads').parentPort.postMessage(v);", { eval: true }));
      Promise.all(w.map((x) => new Promise((r) => x.on('message', r)))).then((v) => {
        if (v.some((x) => x !== 200)) throw new Error('worker ' + v);
        console.log('ok');
      });`;
    expect(runNode(code, {}).trim()).toBe('ok');
  });
});
