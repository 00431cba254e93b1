// Dropout with a counter-based generator: a (seed, counter) pair fixes the mask whatever the
// thread count or ISA path. Kept values are scaled by 1 / (1 - p); p = 1 zeroes everything.
import { checkNumber, invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Tensor, empty, requireTensor } from '../tensor';

export interface DropoutNative {
  dropoutForward(
    x: Float32Array,
    y: Float32Array,
    mask: Uint8Array,
    n: number,
    p: number,
    seed: number | bigint,
    counter: number | bigint,
  ): void;
  dropoutForwardReference: DropoutNative['dropoutForward'];
  dropoutBackward(dy: Float32Array, mask: Uint8Array, dx: Float32Array, n: number, p: number): void;
  dropoutBackwardReference: DropoutNative['dropoutBackward'];
}

export const dropoutNative = native as unknown as DropoutNative;

function checkProbability(op: string, p: unknown): number {
  checkNumber(op, 'p', p);
  if (!((p as number) >= 0 && (p as number) <= 1))
    throw invalidRange(op, 'p', 'a probability in [0, 1]', p);
  return p as number;
}

const MAX_U64 = (1n << 64n) - 1n;

function checkUint64(op: string, name: string, value: unknown): number | bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > MAX_U64)
      throw invalidRange(op, name, 'an unsigned 64-bit integer', value);
    return value;
  }
  if (typeof value !== 'number') throw invalidType(op, name, 'an integer or a bigint', value);
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalidRange(op, name, 'a non-negative safe integer', value);
  return value;
}

export interface DropoutOptions {
  p?: number;
  /** The generator's 64-bit seed; the layer that owns it picks a fresh counter per call. */
  seed: number | bigint;
  /** Index of the first element in the seed's stream (advance by x.size per call). */
  counter?: number | bigint;
}

/** Training-mode dropout: returns the output and the byte mask (1 = kept) for the backward. */
export function dropout(x: Tensor, options: DropoutOptions): { output: Tensor; mask: Uint8Array } {
  const op = 'dropout';
  requireTensor(op, 'x', x);
  if (typeof options !== 'object' || options === null)
    throw invalidType(op, 'options', 'an object', options);
  const p = checkProbability(op, options.p ?? 0.5);
  const seed = checkUint64(op, 'seed', options.seed);
  const counter = checkUint64(op, 'counter', options.counter ?? 0);
  const output = empty(x.shape);
  const mask = new Uint8Array(x.size);
  dropoutNative.dropoutForward(x.data, output.data, mask, x.size, p, seed, counter);
  return { output, mask };
}

/** dx = dy * mask / (1 - p). */
export function dropoutBackward(dy: Tensor, mask: Uint8Array, p: number): Tensor {
  const op = 'dropoutBackward';
  requireTensor(op, 'dy', dy);
  if (!(mask instanceof Uint8Array)) throw invalidType(op, 'mask', 'a Uint8Array', mask);
  if (mask.length !== dy.size)
    throw invalidRange(op, 'mask', `${dy.size} elements like dy`, `${mask.length} elements`);
  checkProbability(op, p);
  const dx = empty(dy.shape);
  dropoutNative.dropoutBackward(dy.data, mask, dx.data, dy.size, p);
  return dx;
}
