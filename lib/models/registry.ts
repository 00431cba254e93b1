// The model registry: every constructor of the zoo under its torchvision-style name, with
// what a user needs to pick one (family, parameters, default input size, paper).
import type { Module } from '../nn/module';

export interface ModelOptions {
  numClasses?: number;
  inChannels?: number;
  [option: string]: unknown;
}

export interface ModelInfo {
  name: string;
  family: string;
  /** Default input resolution (square), e.g. 224, or 32 for CIFAR nets. */
  inputSize: number;
  /** Default input channels. */
  inChannels: number;
  paper: string;
  create: (options?: ModelOptions) => Module;
}

const models = new Map<string, ModelInfo>();

/** Called by each family file for each of its constructors. */
export function registerModel(info: ModelInfo): void {
  if (models.has(info.name)) throw new Error(`convkit.models: '${info.name}' is registered twice`);
  models.set(info.name, info);
}

export interface ModelListEntry extends Omit<ModelInfo, 'create'> {
  /** Trainable parameters with the default options (counted by building the model). */
  parameters: () => number;
}

/** Every registered model, in registration order. */
export function list(): ModelListEntry[] {
  return [...models.values()].map(({ create, ...info }) => ({
    ...info,
    parameters: () =>
      create()
        .parameters()
        .reduce((n, p) => n + p.size, 0),
  }));
}

export function info(name: string): ModelInfo {
  const found = models.get(name);
  if (found) return found;
  throw new RangeError(`convkit.models.create: unknown model '${name}'${suggest(name)}`);
}

export function create(name: string, options: ModelOptions = {}): Module {
  if (typeof name !== 'string')
    throw new TypeError(
      `convkit.models.create: expected a model name (string) but received ${typeof name}`,
    );
  return info(name).create(options);
}

/** ", did you mean resnet18, resnet34?" from the registered names closest by edit distance. */
function suggest(name: string): string {
  const scored = [...models.keys()]
    .map((k) => ({ k, d: editDistance(name.toLowerCase(), k) }))
    .sort((a, b) => a.d - b.d)
    .filter((s, i) => i < 3 && s.d <= Math.max(3, name.length / 2));
  return scored.length ? `; did you mean ${scored.map((s) => s.k).join(', ')}?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}
