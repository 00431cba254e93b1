// Optimizer base: parameter groups (each with its own options, as PyTorch's param_groups),
// per-parameter state, zeroGrad, and a state dict that checkpoints can save and restore.
import { keep } from '../autograd/tidy';
import { invalidRange, invalidType } from '../check';
import { Tensor, zeros } from '../tensor';
import type { ParamGroup } from './scheduler_base';

export type GroupOptions = Record<string, unknown>;

/** A group as passed by the user: its parameters plus options overriding the defaults. */
export interface ParamGroupSpec extends GroupOptions {
  params: Tensor[];
}

export interface OptimizerGroup extends ParamGroup {
  params: Tensor[];
}

/** Per-parameter state: named buffers and the step count. */
export interface ParamState {
  step: number;
  buffers: Map<string, Tensor>;
}

export interface OptimizerStateDict {
  /** Every state buffer, keyed `<paramIndex>.<name>` (parameter indices run over all groups). */
  tensors: Map<string, Tensor>;
  /** Groups without their tensors (params as indices) and the step of each parameter. */
  json: { groups: Array<Record<string, unknown>>; steps: Record<string, number> };
}

export abstract class Optimizer {
  readonly paramGroups: OptimizerGroup[];
  protected readonly state = new Map<Tensor, ParamState>();

  constructor(
    params: Tensor[] | ParamGroupSpec[],
    defaults: GroupOptions,
    readonly name: string,
  ) {
    if (!Array.isArray(params) || params.length === 0)
      throw invalidType(
        name,
        'params',
        'a non-empty array of parameters or parameter groups',
        params,
      );
    const specs: ParamGroupSpec[] =
      params[0] instanceof Tensor ? [{ params: params as Tensor[] }] : (params as ParamGroupSpec[]);
    const seen = new Set<Tensor>();
    this.paramGroups = specs.map((spec, g) => {
      if (!spec || !Array.isArray(spec.params))
        throw invalidType(name, `params[${g}]`, 'a Tensor or a group { params: Tensor[] }', spec);
      for (const p of spec.params) {
        if (!(p instanceof Tensor)) throw invalidType(name, `params[${g}].params`, 'Tensors', p);
        if (seen.has(p))
          throw invalidRange(
            name,
            'params',
            'each parameter in one group only',
            'a repeated parameter',
          );
        seen.add(p);
      }
      const group = { ...defaults, ...spec, params: [...spec.params] } as OptimizerGroup;
      this.validateGroup(group, g);
      return group;
    });
  }

  /** Checks a group's options (throws TypeError/RangeError naming the option). */
  protected abstract validateGroup(group: OptimizerGroup, index: number): void;

  /** Updates one parameter in place from its gradient. */
  protected abstract update(
    param: Tensor,
    grad: Tensor,
    group: OptimizerGroup,
    state: ParamState,
  ): void;

  /** One optimization step over every parameter that has a gradient. */
  step(): void {
    for (const group of this.paramGroups) {
      this.validateGroup(group, this.paramGroups.indexOf(group));
      for (const p of group.params) {
        if (!p.grad) continue;
        let s = this.state.get(p);
        if (!s) this.state.set(p, (s = { step: 0, buffers: new Map() }));
        s.step += 1;
        this.update(p, p.grad, group, s);
      }
    }
  }

  /** A zero-filled state buffer shaped like `param`, created once (kept alive past tidy()). */
  protected buffer(state: ParamState, name: string, param: Tensor): Tensor {
    let b = state.buffers.get(name);
    if (!b) state.buffers.set(name, (b = keep(zeros(param.shape))));
    return b;
  }

  /** Drops the gradients of every parameter (set_to_none, PyTorch 2's default). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.clearGrad();
  }

  private allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  stateDict(): OptimizerStateDict {
    const params = this.allParams();
    const tensors = new Map<string, Tensor>();
    const steps: Record<string, number> = {};
    params.forEach((p, i) => {
      const s = this.state.get(p);
      if (!s) return;
      steps[i] = s.step;
      for (const [name, t] of s.buffers) tensors.set(`${i}.${name}`, t);
    });
    let next = 0;
    const groups = this.paramGroups.map((g) => {
      const { params: ps, ...options } = g;
      return { ...options, params: ps.map(() => next++) };
    });
    return { tensors, json: { groups: JSON.parse(JSON.stringify(groups)), steps } };
  }

  /** Restores options, steps and buffers saved by stateDict() from an optimizer of the same shape. */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    const params = this.allParams();
    if (
      !sd ||
      !sd.json ||
      !Array.isArray(sd.json.groups) ||
      sd.json.groups.length !== this.paramGroups.length
    )
      throw invalidRange(
        op,
        'state',
        `${this.paramGroups.length} parameter groups`,
        sd?.json?.groups?.length,
      );
    sd.json.groups.forEach((saved, g) => {
      const count = Array.isArray(saved.params) ? saved.params.length : -1;
      if (count !== this.paramGroups[g].params.length)
        throw invalidRange(
          op,
          `groups[${g}]`,
          `${this.paramGroups[g].params.length} parameters`,
          count,
        );
      const { params: _ignored, ...options } = saved;
      Object.assign(this.paramGroups[g], options);
    });
    this.state.clear();
    params.forEach((p, i) => {
      const step = sd.json.steps[i];
      if (step === undefined) return;
      const buffers = new Map<string, Tensor>();
      for (const [key, t] of sd.tensors) {
        const dot = key.indexOf('.');
        if (key.slice(0, dot) !== String(i)) continue;
        if (t.shape.join() !== p.shape.join())
          throw invalidRange(op, key, `shape [${p.shape}]`, `shape [${t.shape}]`);
        buffers.set(key.slice(dot + 1), keep(t.clone()));
      }
      this.state.set(p, { step, buffers });
    });
  }
}
