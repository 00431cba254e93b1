// add / sub / mul / div with NumPy broadcasting (either side may be a number), with autograd:
// the gradient of a broadcast operand is summed back to its shape.
import * as kernels from '../kernels/elementwise';
import { sameShape, type Tensor } from '../tensor';
import { record } from './record';

type Operand = Tensor | number;

function binary(op: kernels.BinaryOpName, a: Operand, b: Operand): Tensor {
  const out = kernels[op](a, b);
  const ta = typeof a === 'number' ? null : a;
  const tb = typeof b === 'number' ? null : b;
  return record(out, op, [ta, tb], (g) => {
    const needA = ta?.requiresGrad === true,
      needB = tb?.requiresGrad === true;
    // An addend of the output's own shape takes the incoming gradient as it is: no copy (the
    // engine lets one gradient flow to several inputs). Residual adds are all of this kind.
    const passA =
      needA && ta !== null && (op === 'add' || op === 'sub') && sameShape(ta.shape, g.shape);
    const passB = needB && tb !== null && op === 'add' && sameShape(tb.shape, g.shape);
    const { gradA, gradB } = kernels.binaryBackward(op, g, a, b, [
      needA && !passA,
      needB && !passB,
    ]);
    return [passA ? g : gradA, passB ? g : gradB];
  });
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
