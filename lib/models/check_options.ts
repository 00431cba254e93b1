// Option checks shared by the model constructors: unknown option names fail early (a typo such
// as `numclasses` would otherwise be ignored silently), values are checked with one sentence.
import { checkInt, checkNumber, describe, invalidRange, invalidType } from '../check';
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
