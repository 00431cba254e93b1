// Argument parsers for commander: each turns a string into a value or throws commander's
// InvalidArgumentError, which the CLI prints as one line and exits with code 2.
import { InvalidArgumentError } from 'commander';

/** The exit code a command's action asks for (main reads it after the action resolves). */
export const exit = { code: 0 };

/** A user error: bad input the user can fix. Printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function number(value: string, what: string, ok: (v: number) => boolean): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !ok(v))
    throw new InvalidArgumentError(`expected ${what}.`);
  return v;
}

export const positiveInt = (value: string): number =>
  number(value, 'an integer >= 1', (v) => Number.isInteger(v) && v >= 1);

export const nonNegativeInt = (value: string): number =>
  number(value, 'an integer >= 0', (v) => Number.isInteger(v) && v >= 0);

export const positiveNumber = (value: string): number =>
  number(value, 'a number > 0', (v) => v > 0);

export const nonNegativeNumber = (value: string): number =>
  number(value, 'a number >= 0', (v) => v >= 0);

/** For label smoothing: [0, 1). */
export const unitInterval = (value: string): number =>
  number(value, 'a number in [0, 1)', (v) => v >= 0 && v < 1);

export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`expected a JSON object, e.g. '{"widths":[16,32,64]}'.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError(`expected a JSON object, e.g. '{"widths":[16,32,64]}'.`);
  return parsed as Record<string, unknown>;
}
