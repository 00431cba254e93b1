// Argument checks shared by the public API: tiny predicates and one error style,
// "convkit.<op>: expected <what> for <name> but received <value>".

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(value)})`;
}

export function invalidType(op: string, name: string, expected: string, value: unknown): TypeError {
  return new TypeError(
    `convkit.${op}: expected ${expected} for ${name} but received ${describe(value)}`,
  );
}

export function invalidRange(
  op: string,
  name: string,
  expected: string,
  value: unknown,
): RangeError {
  return new RangeError(
    `convkit.${op}: expected ${expected} for ${name} but received ${describe(value)}`,
  );
}

/** A whole number >= min (and <= 2^53 so every value is exact). */
export function checkInt(op: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number') throw invalidType(op, name, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > Number.MAX_SAFE_INTEGER)
    throw invalidRange(op, name, `an integer >= ${min}`, value);
  return value;
}

export function checkNumber(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidType(op, name, 'a number', value);
  if (Number.isNaN(value)) throw invalidRange(op, name, 'a number (not NaN)', value);
  return value;
}

// Largest element count a tensor may have: 2^40 floats (4 TiB) — far beyond any real tensor,
// well inside the exact range of a JS number and of int64 byte counts.
export const MAX_ELEMENTS = 2 ** 40;

/** Validates a shape and returns its element count; the product may not overflow. */
export function checkShape(op: string, shape: unknown): number {
  if (!Array.isArray(shape)) throw invalidType(op, 'shape', 'an array of integers', shape);
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim: unknown = shape[i];
    if (typeof dim !== 'number') throw invalidType(op, `shape[${i}]`, 'an integer', dim);
    if (!Number.isInteger(dim) || dim < 0)
      throw invalidRange(op, `shape[${i}]`, 'a non-negative integer', dim);
    size *= dim;
    if (size > MAX_ELEMENTS)
      throw invalidRange(op, 'shape', `at most ${MAX_ELEMENTS} elements in all`, shape);
  }
  return size;
}
