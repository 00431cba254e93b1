// What the native runtime is doing: ISA path, threads, memory.
import { keptBufferBytes, releaseKeptBuffers } from './buffer_pool';
import { checkInt } from './check';
import { native, NativeMemoryStats } from './native';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

export interface RuntimeInfo {
  version: string;
  /** The ISA path kernels run on now. */
  isa: string;
  /** Paths this CPU supports, best first. */
  isasAvailable: string[];
  openmp: boolean;
  threads: number;
  maxThreads: number;
  /** float32 lanes of the active path's vectors. */
  vectorWidth: number;
  arch: string;
  gemmKernel: string;
}

export function info(): RuntimeInfo {
  const n = native.runtimeInfo();
  return {
    version,
    isa: n.isa,
    isasAvailable: n.isasAvailable,
    openmp: n.openmp,
    threads: n.threads,
    maxThreads: n.maxThreads,
    vectorWidth: n.vectorWidth,
    arch: n.arch,
    gemmKernel: native.sgemmKernelName(),
  };
}

/** Threads each kernel call may use (CONVKIT_NUM_THREADS / OMP_NUM_THREADS set the start). */
export function setNumThreads(n: number): void {
  native.setNumThreads(checkInt('setNumThreads', 'n', n, 1));
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Switches every later kernel call to another ISA path ('avx512' | 'avx2' | 'generic'),
 * as CONVKIT_ISA does at load. Throws a RangeError for a path this CPU lacks.
 */
export function setIsa(isa: string): void {
  native.setIsa(isa);
}

export const memory = {
  /** Native bytes: live (held by tensors and kernels), pooled (free, kept for reuse), peak. */
  stats(): NativeMemoryStats {
    const stats = native.memoryStats();
    // Large buffers kept for reuse on the JS side (buffer_pool.ts) are free, not live.
    const kept = keptBufferBytes();
    return { ...stats, liveBytes: stats.liveBytes - kept, pooledBytes: stats.pooledBytes + kept };
  },
  /** Returns pooled memory to the system. */
  trim(): void {
    releaseKeptBuffers();
    native.trimPool();
  },
  resetPeak(): void {
    native.resetPeak();
  },
};
