// The seedable generator behind every random tensor, init and shuffle: xoshiro128**
// (fast, 128-bit state, passes BigCrush), seeded through splitmix32 as its authors advise.
import { checkInt } from './check';
import { native } from './native';

export class Generator {
  private s = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    checkInt('manualSeed', 'seed', seed);
    // splitmix32 over both 32-bit halves of the seed fills the state.
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spareNormal = null;
    return this;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits (every value exact in float32). */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * Fills `out` with uniform values on [low, high) in native code: one 64-bit seed is drawn
   * from this generator and element i gets hash(seed, i) — reproducible after manualSeed,
   * independent of the thread count, and fast enough for initialising big networks.
   */
  fillUniform(out: Float32Array, low = 0, high = 1): void {
    native.fillUniform(out, low, high, this.nextUint32(), this.nextUint32());
  }

  /** Fills `out` with Normal(mean, std) values in native code (see fillUniform). */
  fillNormal(out: Float32Array, mean = 0, std = 1): void {
    native.fillNormal(out, mean, std, this.nextUint32(), this.nextUint32());
  }

  getState(): number[] {
    return [...this.s, this.spareNormal === null ? NaN : this.spareNormal];
  }

  setState(state: readonly number[]): void {
    if (!Array.isArray(state) || state.length !== 5)
      throw new TypeError('convkit.Generator.setState: expected the 5 numbers of getState()');
    for (let i = 0; i < 4; i++) this.s[i] = state[i] >>> 0;
    this.spareNormal = Number.isNaN(state[4]) ? null : state[4];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator used when none is passed. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator so runs reproduce exactly (as torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
