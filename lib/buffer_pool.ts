// Reuse of large tensor buffers on the JS side. Why: V8 counts every new ArrayBuffer's bytes
// as external memory and starts a garbage collection when one buffer takes that count 64 MB
// past its mark; creating a buffer of 32 MB or more does it (the binding's own accounting, in
// native/binding/memory_binding.cc, cannot prevent it), and a training step at 224x224 batch 16
// creates hundreds of them: the collections cost ~10% of a ResNet-50 or MobileNetV2 step.
// Disposed buffers of kMinFloats or more are kept here and handed to the next tensor that fits
// (up to twice smaller, as a view of the buffer's start): no new ArrayBuffer, no collection.
// The native pool already reuses the memory of smaller buffers, which cost V8 nothing.
//
// A disposed tensor still reads as empty (Storage drops its view); a Float32Array taken from a
// tensor before dispose() may show a later tensor's values, as with memory any allocator reuses.
import { native } from './native';

/** Buffers from 16 MB (4 Mi floats) up are kept. */
const kMinFloats = 4 << 20;
/** At most this many bytes are kept; the oldest go back to the native pool first. */
const kMaxBytes = 1 << 30;

const poison = ((): boolean => {
  const v = typeof process !== 'undefined' ? process.env.CONVKIT_POISON : undefined;
  return v !== undefined && v !== '' && v !== '0';
})();

/** Kept buffers, oldest first: whole-buffer views. */
const kept: Float32Array[] = [];
let keptBytes = 0;

/** A buffer of `length` floats from the kept ones, or null (then allocate natively). */
export function takeBuffer(length: number, zeroFill: boolean): Float32Array | null {
  if (length < kMinFloats) return null;
  let best = -1;
  for (let i = 0; i < kept.length; i++) {
    const n = kept[i].length;
    if (n >= length && n <= 2 * length && (best < 0 || n < kept[best].length)) best = i;
  }
  if (best < 0) return null;
  const whole = kept.splice(best, 1)[0];
  keptBytes -= whole.byteLength;
  const view = whole.length === length ? whole : new Float32Array(whole.buffer, 0, length);
  if (zeroFill) view.fill(0);
  else if (poison) view.fill(NaN);
  return view;
}

/** Keeps a disposed tensor's buffer for reuse; false when it is not kept (free it natively). */
export function keepBuffer(view: Float32Array): boolean {
  const whole = new Float32Array(view.buffer);
  if (whole.length < kMinFloats || whole.byteLength > kMaxBytes) return false;
  kept.push(whole);
  keptBytes += whole.byteLength;
  while (keptBytes > kMaxBytes) {
    const oldest = kept.shift() as Float32Array;
    keptBytes -= oldest.byteLength;
    native.disposeFloats(oldest);
  }
  return true;
}

/** Bytes held for reuse (native memory, counted as live by the native pool). */
export function keptBufferBytes(): number {
  return keptBytes;
}

/** Frees every kept buffer (memory.trim). */
export function releaseKeptBuffers(): void {
  for (const whole of kept.splice(0)) native.disposeFloats(whole);
  keptBytes = 0;
}
