// Sequential (children keyed 0, 1, ...), ModuleList and ModuleDict, as PyTorch's.
import { invalidRange, invalidType } from '../../check';
import type { Tensor } from '../../tensor';
import { Module } from '../module';

function checkModule(op: string, name: string, m: unknown): Module {
  if (!(m instanceof Module)) throw invalidType(op, name, 'a Module', m);
  return m;
}

/** Integer-keyed children: JS lists integer keys first in ascending order, as PyTorch's. */
abstract class IndexedModules extends Module {
  [index: number]: Module;

  protected push(op: string, m: Module): void {
    (this as Record<number, Module>)[this.length] = checkModule(op, `modules[${this.length}]`, m);
  }

  get length(): number {
    return this.namedChildren().length;
  }

  at(i: number): Module {
    const n = this.length;
    const j = i < 0 ? n + i : i;
    if (!Number.isInteger(j) || j < 0 || j >= n)
      throw invalidRange('at', 'index', `an index in [-${n}, ${n})`, i);
    return this[j];
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}

export class Sequential extends IndexedModules {
  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.push('Sequential', m);
  }

  append(m: Module): this {
    this.push('Sequential.append', m);
    return this;
  }

  forward(x: Tensor): Tensor {
    for (const m of this.children()) x = m.forward(x);
    return x;
  }
}

export class ModuleList extends IndexedModules {
  constructor(modules: Module[] = []) {
    super();
    for (const m of modules) this.push('ModuleList', m);
  }

  append(m: Module): this {
    this.push('ModuleList.append', m);
    return this;
  }

  forward(): Tensor {
    throw new TypeError('convkit.ModuleList: a ModuleList has no forward; iterate over it');
  }
}

export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  set(key: string, m: Module): void {
    if (key in Module.prototype || key === 'training')
      throw invalidRange('ModuleDict', 'key', 'a name that is not a Module method', key);
    (this as unknown as Record<string, Module>)[key] = checkModule('ModuleDict', key, m);
  }

  get(key: string): Module | undefined {
    const m = (this as unknown as Record<string, unknown>)[key];
    return m instanceof Module ? m : undefined;
  }

  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }

  forward(): Tensor {
    throw new TypeError('convkit.ModuleDict: a ModuleDict has no forward; index it');
  }
}
