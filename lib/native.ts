// Loads the native addon (a prebuild from prebuilds/ when one fits, else build/Release)
// and declares its typed surface. Nothing else in lib/ touches the addon object directly.
import * as path from 'path';

export interface NativeRuntimeInfo {
  isa: string;
  isasAvailable: string[];
  openmp: boolean;
  threads: number;
  maxThreads: number;
  vectorWidth: number;
  arch: string;
  compiler: string;
}

export interface NativeMemoryStats {
  liveBytes: number;
  pooledBytes: number;
  peakBytes: number;
  allocations: number;
  poolHits: number;
}

export interface NativeAddon {
  runtimeInfo(): NativeRuntimeInfo;
  setIsa(isa: string): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  allocFloats(length: number, zeroFill?: boolean): Float32Array;
  disposeFloats(array: Float32Array): void;
  memoryStats(): NativeMemoryStats;
  trimPool(): void;
  resetPeak(): void;
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  sgemmReference: NativeAddon['sgemm'];
  sgemmKernelName(): string;
  fmaPeak(isa: string, threads: number, seconds: number): number;
  fillUniform(out: Float32Array, low: number, high: number, seedHi: number, seedLo: number): void;
  fillNormal(out: Float32Array, mean: number, std: number, seedHi: number, seedLo: number): void;
  memoryBandwidth(kind: 'copy' | 'triad', bytes: number, threads: number, repeats: number): number;
}

const packageRoot = path.join(__dirname, '..');

function configureOpenMp(): void {
  // libgomp reads its environment when the addon loads it. Unless the user chose, keep the
  // spin-wait after each parallel region short, so an idle process does not burn a core.
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
    process.env.GOMP_SPINCOUNT = '20000';
  }
}

function loadAddon(): NativeAddon {
  configureOpenMp();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    return load(packageRoot);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `convkit: could not load the native addon for ${process.platform}-${process.arch} ` +
        `(Node ${process.version}, N-API ${process.versions.napi}) from ${packageRoot}: ${reason}\n` +
        'Fix: build it from source with `npm rebuild convkit --build-from-source` ' +
        '(needs g++ and make), or set CONVKIT_ISA=generic if the CPU lacks an instruction set.',
    );
  }
}

function applyIsaFromEnvironment(addon: NativeAddon): void {
  const requested = process.env.CONVKIT_ISA;
  if (!requested) return;
  const known = ['avx512', 'avx2', 'generic'];
  if (!known.includes(requested)) {
    throw new RangeError(
      `convkit: CONVKIT_ISA='${requested}' is not an ISA path; expected one of ${known.join(', ')}`,
    );
  }
  const available = addon.runtimeInfo().isasAvailable;
  if (!available.includes(requested)) {
    // Documented: a path the CPU lacks falls back to the best one, with a warning.
    process.emitWarning(
      `CONVKIT_ISA=${requested} is not supported by this CPU; using ${available[0]}`,
      'ConvkitWarning',
    );
    return;
  }
  addon.setIsa(requested);
}

export const native: NativeAddon = loadAddon();
applyIsaFromEnvironment(native);
