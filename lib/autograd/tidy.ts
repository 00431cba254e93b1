// tidy(fn): every tensor created while fn runs is disposed when it returns, except what fn
// returns and what was kept (keep(t), or gradients stored on leaf tensors). A training step
// wrapped in tidy keeps native memory flat without a dispose() per intermediate.
import type { Tensor } from '../tensor';

type Scope = Tensor[];
const scopes: Scope[] = [];
const kept = new WeakSet<Tensor>();

/** Called by the Tensor constructor. */
export function trackTensor(t: Tensor): void {
  if (scopes.length) scopes[scopes.length - 1].push(t);
}

/** Whether keep(t) was called (leaf gradients, retained gradients, user-kept tensors). */
export function isKept(t: Tensor): boolean {
  return kept.has(t);
}

/**
 * Runs fn and returns the tensors constructed while it ran. They stay tracked by the enclosing
 * tidy scope (if any) as if fn had run there directly.
 */
export function captureCreated<T>(fn: () => T): { result: T; created: Tensor[] } {
  const created: Scope = [];
  scopes.push(created);
  try {
    return { result: fn(), created };
  } finally {
    scopes.pop();
    for (const t of created) trackTensor(t);
  }
}

/** Keeps `t` alive past the enclosing tidy scopes. */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  return t;
}

function collectTensors(
  value: unknown,
  out: Set<Tensor>,
  isTensor: (v: unknown) => v is Tensor,
  depth = 0,
): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  const items = Array.isArray(value)
    ? value
    : value instanceof Map
      ? [...value.values()]
      : Object.values(value);
  for (const item of items) collectTensors(item, out, isTensor, depth + 1);
}

export function tidy<T>(fn: () => T, isTensor: (v: unknown) => v is Tensor): T {
  const scope: Scope = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors, isTensor);
  // Views share storage: a survivor keeps every tensor over the same memory alive.
  const survivingStorage = new Set<unknown>([...survivors].map((t) => t.storageKey()));
  for (const t of scope) {
    if (kept.has(t)) continue;
    if (survivingStorage.has(t.storageKey())) {
      trackTensor(t); // belongs to the enclosing scope now, if any
      continue;
    }
    t.dispose();
  }
  return result;
}
