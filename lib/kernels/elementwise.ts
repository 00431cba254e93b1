// add / sub / mul / div with NumPy broadcasting (either operand may be a number), and their
// backward: each operand's gradient reduced over the axes it was broadcast along.
import { describe, invalidRange, invalidType } from '../check';
import { native } from '../native';
import { Shape, Tensor, empty, sameShape } from '../tensor';
import { productSumToShape, sumToShape } from './reduce';

export type BinaryOpName = 'add' | 'sub' | 'mul' | 'div';

export interface ElementwiseNative {
  binaryBroadcast(
    op: BinaryOpName,
    a: Float32Array,
    aShape: number[],
    b: Float32Array,
    bShape: number[],
    out: Float32Array,
    outShape: number[],
  ): void;
  binaryBroadcastReference: ElementwiseNative['binaryBroadcast'];
}

export const elementwiseNative = native as unknown as ElementwiseNative;

/** NumPy's rule: right-aligned, each dim equal or 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1,
      y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw invalidRange(op, 'b', `a shape that broadcasts with [${a}]`, `shape [${b}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

type Operand = { data: Float32Array; shape: number[] };

function operand(op: string, name: string, x: unknown): Operand {
  if (typeof x === 'number') {
    return { data: new Float32Array([x]), shape: [] };
  }
  if (!(x instanceof Tensor)) throw invalidType(op, name, 'a Tensor or a number', x);
  x.assertAlive(op);
  return { data: x.data, shape: [...x.shape] };
}

function binary(op: BinaryOpName, a: Tensor | number, b: Tensor | number): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor))
    throw invalidType(
      op,
      'a',
      'a Tensor (one operand at least)',
      `${describe(a)} and ${describe(b)}`,
    );
  const x = operand(op, 'a', a),
    y = operand(op, 'b', b);
  const outShape = broadcastShapes(op, x.shape, y.shape);
  const out = empty(outShape);
  elementwiseNative.binaryBroadcast(op, x.data, x.shape, y.data, y.shape, out.data, outShape);
  return out;
}

export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b);
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b);
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b);
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b);

/**
 * target += b * scale in place, b broadcast to target's shape (b is scaled first: it is the
 * small one, e.g. a global pool's [N, 1, 1, C] gradient added into an activation's).
 */
export function addInto(target: Tensor, b: Tensor, scale = 1): Tensor {
  const op = 'addInto';
  const shape = broadcastShapes(op, target.shape, b.shape);
  if (!sameShape(shape, target.shape))
    throw invalidRange(
      op,
      'b',
      `a shape that broadcasts to [${target.shape}]`,
      `shape [${b.shape}]`,
    );
  const addend = scale === 1 ? b : mul(b, scale);
  elementwiseNative.binaryBroadcast(
    'add',
    target.data,
    [...target.shape],
    addend.data,
    [...addend.shape],
    target.data,
    [...target.shape],
  );
  if (addend !== b) addend.dispose();
  return target;
}

/** x broadcast to `shape`, times `scale` (the backward of a sum / mean). */
export function expandScaled(x: Tensor, shape: Shape, scale = 1): Tensor {
  const op = 'expand';
  const target = [...shape];
  const ok =
    x.ndim <= target.length &&
    x.shape.every((d, i) => d === 1 || d === target[target.length - x.ndim + i]);
  if (!ok) throw invalidRange(op, 'shape', `a shape [${x.shape}] broadcasts to`, target);
  const out = empty(target);
  elementwiseNative.binaryBroadcast(
    'mul',
    x.data,
    [...x.shape],
    new Float32Array([scale]),
    [],
    out.data,
    target,
  );
  return out;
}

export interface BinaryGrads {
  /** null when that operand was a number. */
  gradA: Tensor | null;
  gradB: Tensor | null;
}

/**
 * Gradients of out = a (op) b, each in its operand's shape; `needed` skips either (null).
 */
/** sumToShape(g * other, shape): one fused pass when `other` has g's shape and the reduction allows. */
function productGradient(
  g: Tensor,
  other: Tensor | number,
  shape: Shape,
  keep: (t: Tensor) => Tensor,
): Tensor {
  // Same shape as g (the other operand broadcast): the product is the gradient, no reduction.
  if (sameShape(shape, g.shape)) return mul(g, other);
  if (other instanceof Tensor) {
    const fused = productSumToShape(g, other, shape);
    if (fused) return fused;
  }
  return sumToShape(keep(mul(g, other)), shape);
}

export function binaryBackward(
  op: BinaryOpName,
  gradOutput: Tensor,
  a: Tensor | number,
  b: Tensor | number,
  needed: readonly [boolean, boolean] = [true, true],
): BinaryGrads {
  const name = `${op}Backward`;
  if (!(gradOutput instanceof Tensor))
    throw invalidType(name, 'gradOutput', 'a Tensor', gradOutput);
  const aShape = a instanceof Tensor && needed[0] ? a.shape : null,
    bShape = b instanceof Tensor && needed[1] ? b.shape : null;
  const temporaries: Tensor[] = [];
  const keep = (t: Tensor): Tensor => (temporaries.push(t), t);
  let gradA: Tensor | null = null,
    gradB: Tensor | null = null;
  switch (op) {
    case 'add':
    case 'sub':
      if (aShape) gradA = sumToShape(gradOutput, aShape);
      if (bShape) gradB = sumToShape(gradOutput, bShape, op === 'sub' ? -1 : 1);
      break;
    case 'mul':
      if (aShape) gradA = productGradient(gradOutput, b, aShape, keep);
      if (bShape) gradB = productGradient(gradOutput, a, bShape, keep);
      break;
    case 'div': {
      const g = keep(div(gradOutput, b)); // d/da = g / b
      if (aShape) gradA = sumToShape(g, aShape);
      if (bShape) gradB = sumToShape(keep(div(keep(mul(g, a)), b)), bShape, -1); // -g a / b^2
      break;
    }
    default:
      throw invalidRange(name, 'op', "'add', 'sub', 'mul' or 'div'", op);
  }
  temporaries.forEach((t) => t.dispose());
  return { gradA, gradB };
}
