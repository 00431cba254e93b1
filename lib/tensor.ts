// Tensor: float32, contiguous, backed by pooled native memory that JS sees without a copy.
import { runBackward, BackwardOptions } from './autograd/engine';
import { isGradEnabled } from './autograd/grad_mode';
import { Node } from './autograd/node';
import { keep, trackTensor } from './autograd/tidy';
import { keepBuffer, takeBuffer } from './buffer_pool';
import { checkNumber, checkShape, describe, invalidRange, invalidType } from './check';
import { native } from './native';
import type { ElementwiseNative } from './kernels/elementwise';
import { defaultGenerator, Generator } from './random';

export type Shape = readonly number[];

/** What a disposed storage holds when its buffer went to the pool: detached, as after free. */
const disposedData = ((): Float32Array => {
  const a = native.allocFloats(1, false);
  native.disposeFloats(a);
  return a;
})();

/** Memory shared by a tensor and its reshaped views; disposing any of them frees it. */
class Storage {
  disposed = false;
  constructor(public data: Float32Array) {}

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const data = this.data;
    // A large buffer is kept for the next tensor (buffer_pool.ts): this storage lets go of it.
    if (data.length > 0 && keepBuffer(data)) this.data = disposedData;
    else native.disposeFloats(data);
  }
}

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  private readonly storage: Storage;
  /** The op that produced this tensor (null for leaves and outside autograd). */
  gradFn: Node | null = null;
  /** Accumulated gradient: kept for leaves that require grad and for retainGrad() tensors. */
  grad: Tensor | null = null;
  private requiresGradFlag = false;
  private retainGradFlag = false;

  /** Internal: use the creation functions (tensor, zeros, ...). */
  constructor(storage: Float32Array | Storage, shape: Shape) {
    const view = storage instanceof Storage;
    this.storage = view ? storage : new Storage(storage);
    this.shape = Object.freeze([...shape]);
    this.size = this.shape.reduce((a, b) => a * b, 1);
    // Only new memory belongs to the scope that made it: a view (reshape, detach) of a tensor
    // from outside a tidy or a backward must not free that tensor's memory when the scope ends.
    if (!view) trackTensor(this);
  }

  /** True when gradients flow to or through this tensor. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag || this.gradFn !== null;
  }

  /** Marks a leaf as needing its gradient (as requires_grad_ in PyTorch). */
  set requiresGrad(value: boolean) {
    if (this.gradFn !== null && !value)
      throw new RangeError(
        'convkit.requiresGrad: only leaf tensors can stop requiring grad; use detach() instead',
      );
    this.requiresGradFlag = value;
  }

  /** A leaf was created by the user (or detached), not computed by a recorded op. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  get retainsGrad(): boolean {
    return this.retainGradFlag;
  }

  /** Keeps the gradient of a non-leaf tensor in .grad after backward(). */
  retainGrad(): this {
    if (this.gradFn !== null) this.retainGradFlag = true;
    return this;
  }

  /** Internal (autograd): records the op that produced this tensor when recording is on. */
  setGradFn(node: Node): this {
    if (isGradEnabled()) this.gradFn = node;
    return this;
  }

  /**
   * Internal (autograd): adds `grad` into .grad. The first gradient is copied: the engine may
   * hand one gradient to several inputs, so .grad must own its memory before later in-place
   * accumulation.
   */
  addToGrad(grad: Tensor): void {
    if (this.grad === null || this.grad.disposed) {
      this.grad = keep(grad.clone());
      return;
    }
    addInto(this.grad.data, grad.data, this.grad.data, this.shape);
  }

  /** Drops the gradient (as PyTorch's zero_grad(set_to_none=True)). */
  clearGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires grad.
   * A scalar needs no argument; otherwise pass the upstream gradient (same shape).
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    this.assertAlive('backward');
    if (!this.requiresGrad)
      throw new TypeError(
        `convkit.backward: the tensor of shape [${this.shape}] does not require grad and has no grad_fn`,
      );
    let seed: Tensor;
    if (gradient === undefined) {
      if (this.size !== 1)
        throw invalidRange(
          'backward',
          'gradient',
          `an explicit gradient for a non-scalar output`,
          `shape [${this.shape}]`,
        );
      seed = full(this.shape, 1);
    } else {
      if (!(gradient instanceof Tensor))
        throw invalidType('backward', 'gradient', 'a Tensor', gradient);
      gradient.assertAlive('backward');
      if (gradient.shape.join() !== this.shape.join())
        throw invalidRange(
          'backward',
          'gradient',
          `shape [${this.shape}]`,
          `shape [${gradient.shape}]`,
        );
      seed = gradient;
    }
    runBackward(this, seed, accumulateGrad, options);
  }

  /** The same memory without history: a new leaf that does not require grad. */
  detach(): Tensor {
    this.assertAlive('detach');
    return new Tensor(this.storage, this.shape);
  }

  /** Identity of the memory behind this tensor (views share it). */
  storageKey(): object {
    return this.storage;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.storage.disposed;
  }

  /** A Float32Array view of the tensor's native memory (no copy). */
  get data(): Float32Array {
    this.assertAlive('data');
    return this.storage.data;
  }

  /** Throws a clear error when the tensor was disposed; ops call it on every input. */
  assertAlive(op: string): void {
    if (this.storage.disposed)
      throw new TypeError(`convkit.${op}: the tensor of shape [${this.shape}] has been disposed`);
  }

  /** A view with another shape over the same memory; one dimension may be -1. */
  reshape(...args: number[] | [Shape]): Tensor {
    this.assertAlive('reshape');
    const requested: unknown[] = Array.isArray(args[0]) ? [...(args[0] as Shape)] : args;
    const inferred = requested.indexOf(-1);
    if (inferred !== -1 && requested.indexOf(-1, inferred + 1) !== -1)
      throw invalidRange('reshape', 'shape', 'at most one -1', requested);
    const known = requested.map((d, i) => (i === inferred ? 1 : d));
    const knownSize = checkShape('reshape', known);
    if (inferred !== -1) {
      if (knownSize === 0 || this.size % knownSize !== 0)
        throw invalidRange(
          'reshape',
          'shape',
          `a shape compatible with size ${this.size}`,
          requested,
        );
      known[inferred] = this.size / knownSize;
    } else if (knownSize !== this.size) {
      throw invalidRange('reshape', 'shape', `a shape of ${this.size} elements`, requested);
    }
    const view = new Tensor(this.storage, known as number[]);
    if (this.requiresGrad) {
      const from = this.shape;
      view.setGradFn(new Node('reshape', [this], (g) => [g.reshape(from)]));
    }
    return view;
  }

  /** The values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const data = this.data;
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return data[offset];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    this.assertAlive('item');
    if (this.size !== 1)
      throw invalidRange('item', 'tensor', 'a tensor with one element', `shape [${this.shape}]`);
    return this.storage.data[0];
  }

  /** A copy in new memory. */
  clone(): Tensor {
    const out = allocate(this.shape, 'clone', false);
    out.storage.data.set(this.data);
    return out;
  }

  /** Frees the native memory now; using the tensor (or a view of it) afterwards throws. */
  dispose(): void {
    this.storage.dispose();
  }

  toString(): string {
    return `Tensor(shape=[${this.shape}]${this.disposed ? ', disposed' : ''})`;
  }
}

export type NestedArray = number | NestedArray[];

/** Gradient accumulation for the engine: in place into owned .grad, new memory otherwise. */
/** out = a + b elementwise, same shapes, with the native kernel (out may be a). */
function addInto(a: Float32Array, b: Float32Array, out: Float32Array, shape: Shape): void {
  const dims = [...shape];
  (native as unknown as ElementwiseNative).binaryBroadcast('add', a, dims, b, dims, out, dims);
}

function accumulateGrad(into: Tensor, grad: Tensor): Tensor {
  const out = allocate(into.shape, 'backward', false);
  addInto(into.data, grad.data, out.data, into.shape);
  return out;
}

function allocate(shape: Shape, op: string, zeroFill: boolean): Tensor {
  const size = checkShape(op, shape);
  return new Tensor(takeBuffer(size, zeroFill) ?? native.allocFloats(size, zeroFill), shape);
}

/**
 * A tensor whose contents are unspecified (as torch.empty): for outputs a kernel overwrites
 * completely, saving a pass over memory. CONVKIT_POISON=1 fills it with NaN (for tests).
 */
export function empty(shape: Shape): Tensor {
  return allocate(shape, 'empty', false);
}

function inferShape(values: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function flattenInto(
  values: unknown,
  shape: number[],
  dim: number,
  out: Float32Array,
  at: { i: number },
  op: string,
): void {
  if (dim === shape.length) {
    if (typeof values !== 'number') throw invalidType(op, 'data', 'numbers', values);
    out[at.i++] = values;
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[dim])
    throw invalidRange(op, 'data', `a regular nested array of shape [${shape}]`, describe(values));
  for (const v of values) flattenInto(v, shape, dim + 1, out, at, op);
}

/** A tensor from nested arrays, a flat array or a typed array (with `shape`, or 1-D). */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: Shape): Tensor {
  const op = 'tensor';
  if (ArrayBuffer.isView(values) || (Array.isArray(values) && shape !== undefined)) {
    const flat = values as ArrayLike<number>;
    const target = shape ?? [flat.length];
    const size = checkShape(op, target);
    if (size !== flat.length)
      throw invalidRange(op, 'shape', `a shape of ${flat.length} elements`, target);
    const out = allocate(target, op, false);
    const data = out.data;
    for (let i = 0; i < size; i++) {
      const v = flat[i];
      if (typeof v !== 'number') throw invalidType(op, `data[${i}]`, 'a number', v);
      data[i] = v;
    }
    return out;
  }
  if (typeof values === 'number') {
    const out = allocate([], op, false);
    out.data[0] = values;
    return out;
  }
  if (!Array.isArray(values)) throw invalidType(op, 'data', 'an array or typed array', values);
  const inferred = inferShape(values);
  const out = allocate(inferred, op, false);
  flattenInto(values, inferred, 0, out.data, { i: 0 }, op);
  return out;
}

export function zeros(shape: Shape): Tensor {
  return allocate(shape, 'zeros', true);
}

export function full(shape: Shape, value: number): Tensor {
  checkNumber('full', 'value', value);
  const out = allocate(shape, 'full', false);
  out.data.fill(value);
  return out;
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

/** Uniform on [0, 1), as torch.rand. */
export function rand(shape: Shape, generator: Generator = defaultGenerator): Tensor {
  const out = allocate(shape, 'rand', false);
  generator.fillUniform(out.data);
  return out;
}

/** Standard normal, as torch.randn. */
export function randn(shape: Shape, generator: Generator = defaultGenerator): Tensor {
  const out = allocate(shape, 'randn', false);
  generator.fillNormal(out.data);
  return out;
}

/** arange(end) or arange(start, end, step = 1), as torch.arange. */
export function arange(startOrEnd: number, end?: number, step = 1): Tensor {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  checkNumber('arange', 'start', start);
  checkNumber('arange', 'end', stop);
  checkNumber('arange', 'step', step);
  if (step === 0 || !Number.isFinite(step))
    throw invalidRange('arange', 'step', 'a finite non-zero number', step);
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const out = allocate([count], 'arange', false);
  const data = out.data;
  for (let i = 0; i < count; i++) data[i] = start + i * step;
  return out;
}

/** Whether two shapes are the same (same rank, same sizes). */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

/** The tensor argument `name` of op `op`, checked: a Tensor that has not been disposed. */
export function requireTensor(op: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw invalidType(op, name, 'a Tensor', value);
  value.assertAlive(op);
  return value;
}
