// add / sub / mul / div with NumPy broadcasting (either side may be a number), with autograd:
// the gradient of a broadcast operand is summed back to its shape.
import * as kernels from '../kernels/elementwise';
import type { Tensor } from '../tensor';
import { record } from './record';

type Operand = Tensor | number;

function binary(op: kernels.BinaryOpName, a: Operand, b: Operand): Tensor {
  const out = kernels[op](a, b);
  const ta = typeof a === 'number' ? null : a;
  const tb = typeof b === 'number' ? null : b;
  return record(out, op, [ta, tb], (g) => {
    const { gradA, gradB } = kernels.binaryBackward(op, g, a, b);
    return [ta?.requiresGrad ? gradA : null, tb?.requiresGrad ? gradB : null];
  });
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
