// Helpers shared by the model constructors: option checks (unknown option names fail early, as
// a typo such as `numclasses` would otherwise be ignored silently; values are checked with one
// sentence) and initialisation helpers for torchvision's init loops.
import { checkInt, checkNumber, describe, invalidRange, invalidType } from '../check';
import * as init from '../nn/init';
import { defaultGenerator } from '../random';
import type { Tensor } from '../tensor';
import type { ModelOptions } from './registry';

/** Throws when options has a key outside `known`, naming the closest ones. */
export function checkOptionNames(
  model: string,
  options: ModelOptions,
  known: readonly string[],
): void {
  if (options === null || typeof options !== 'object')
    throw invalidType(model, 'options', 'an options object', options);
  const unknown = Object.keys(options).filter(
    (k) => !known.includes(k) && options[k] !== undefined,
  );
  if (unknown.length)
    throw new RangeError(
      `convkit.${model}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; ` +
        `${model} takes ${known.join(', ')}`,
    );
}

export function intOption(
  model: string,
  name: string,
  value: unknown,
  fallback: number,
  min = 1,
): number {
  return checkInt(model, name, value ?? fallback, min);
}

export function probabilityOption(
  model: string,
  name: string,
  value: unknown,
  fallback: number,
): number {
  const p = checkNumber(model, name, value ?? fallback);
  if (!(p >= 0 && p <= 1)) throw invalidRange(model, name, 'a probability in [0, 1]', p);
  return p;
}

export function boolOption(
  model: string,
  name: string,
  value: unknown,
  fallback: boolean,
): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') throw invalidType(model, name, 'a boolean', v);
  return v;
}

export function choiceOption<T extends string>(
  model: string,
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  const v = value ?? choices[0];
  if (typeof v !== 'string' || !choices.includes(v as T))
    throw invalidRange(model, name, `one of ${choices.map((c) => describe(c)).join(', ')}`, v);
  return v as T;
}

/**
 * Builds with the layers' default initialisation skipped when the caller re-initialises every
 * tensor afterwards (torchvision's init loops), so each weight is drawn once, not twice.
 */
export function buildSkippingDefaultInit<T>(skip: boolean, build: () => T): T {
  return skip ? init.skipInit(build) : build();
}

/**
 * torch.nn.init.trunc_normal_(t, 0, std, a, b) by rejection, through init.normal_ so that it
 * honours init.skipInit (the tensor then stays zero, inside [a, b]).
 */
export function truncNormalInit(t: Tensor, std: number, a = -2, b = 2): Tensor {
  init.normal_(t, 0, std);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    let v = d[i];
    while (v < a || v > b) v = std * defaultGenerator.normal();
    d[i] = v;
  }
  return t;
}

/** PyTorch's default bias of a Conv2d/Linear: uniform in ±1/sqrt(fan_in). */
export function defaultBiasInit(weight: Tensor, bias: Tensor): Tensor {
  const { fanIn } = init.fans(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return init.uniform_(bias, -bound, bound);
}
