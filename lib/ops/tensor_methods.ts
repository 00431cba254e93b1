// Tensor methods for the natural ops (x.add(y), x.mean(), x.relu(), ...), attached here so
// tensor.ts does not depend on the ops (which depend on it).
import { Tensor } from '../tensor';
import { relu } from './activation';
import { add, div, mul, sub } from './elementwise';
import { matmul } from './matmul';
import { mean, sum } from './reduce';
import { flatten, permute } from './shape';

type Operand = Tensor | number;
type Axes = number | readonly number[];

declare module '../tensor' {
  interface Tensor {
    add(other: Operand): Tensor;
    sub(other: Operand): Tensor;
    mul(other: Operand): Tensor;
    div(other: Operand): Tensor;
    matmul(other: Tensor): Tensor;
    sum(axes?: Axes, keepdim?: boolean): Tensor;
    mean(axes?: Axes, keepdim?: boolean): Tensor;
    relu(): Tensor;
    permute(...perm: number[]): Tensor;
    flatten(): Tensor;
  }
}

Tensor.prototype.add = function (this: Tensor, other: Operand) {
  return add(this, other);
};
Tensor.prototype.sub = function (this: Tensor, other: Operand) {
  return sub(this, other);
};
Tensor.prototype.mul = function (this: Tensor, other: Operand) {
  return mul(this, other);
};
Tensor.prototype.div = function (this: Tensor, other: Operand) {
  return div(this, other);
};
Tensor.prototype.matmul = function (this: Tensor, other: Tensor) {
  return matmul(this, other);
};
Tensor.prototype.sum = function (this: Tensor, axes?: Axes, keepdim = false) {
  return sum(this, axes, keepdim);
};
Tensor.prototype.mean = function (this: Tensor, axes?: Axes, keepdim = false) {
  return mean(this, axes, keepdim);
};
Tensor.prototype.relu = function (this: Tensor) {
  return relu(this);
};
Tensor.prototype.permute = function (this: Tensor, ...perm: number[]) {
  return permute(this, perm);
};
Tensor.prototype.flatten = function (this: Tensor) {
  return flatten(this);
};
