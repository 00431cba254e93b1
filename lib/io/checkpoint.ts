// Checkpoints: model + optimizer + scheduler + epoch + RNG state in one safetensors file,
// written atomically (a crash mid-save leaves the previous checkpoint intact). Tensors go in
// the body (model.<key>, optimizer.<index>.<name>); everything else is JSON in __metadata__.
import { invalidType } from '../check';
import { isInt64Buffer, Module } from '../nn/module';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer';
import type { SchedulerState } from '../optim/scheduler_base';
import { defaultGenerator, Generator } from '../random';
import type { Tensor } from '../tensor';
import { loadSafetensors, saveSafetensors, SafetensorsError } from './safetensors';

const FORMAT = 'convkit-checkpoint-1';

/** Anything with a JSON state: the LR schedulers. */
export interface Stateful {
  stateDict(): SchedulerState;
  loadStateDict(state: SchedulerState): void;
}

export interface CheckpointParts {
  model: Module;
  optimizer?: Optimizer;
  scheduler?: Stateful;
  /** Restored too, so dropout masks and shuffles continue as in an uninterrupted run. */
  generator?: Generator;
}

export interface CheckpointInfo {
  epoch: number;
  /** Your own JSON-able data (e.g. best accuracy so far). */
  extra?: unknown;
}

/** A module's state dict with PyTorch's dtypes: num_batches_tracked as I64. */
export function stateDictEntries(
  model: Module,
  prefix = '',
): { entries: Record<string, Tensor>; dtypes: Record<string, 'I64'> } {
  const entries: Record<string, Tensor> = {};
  const dtypes: Record<string, 'I64'> = {};
  for (const [key, t] of model.stateDict()) {
    entries[prefix + key] = t;
    if (isInt64Buffer(t)) dtypes[prefix + key] = 'I64';
  }
  return { entries, dtypes };
}

/** Saves a module's state dict as torchvision-compatible safetensors (keys unchanged). */
export function saveStateDict(
  model: Module,
  path: string,
  metadata: Record<string, string> = {},
): void {
  const { entries, dtypes } = stateDictEntries(model);
  saveSafetensors(entries, path, { metadata: { format: 'pt', ...metadata }, dtypes });
}

export function saveCheckpoint(path: string, parts: CheckpointParts, info: CheckpointInfo): void {
  if (!(parts?.model instanceof Module))
    throw invalidType('saveCheckpoint', 'model', 'a Module', parts?.model);
  const { entries, dtypes } = stateDictEntries(parts.model, 'model.');
  let optimizerJson: unknown = null;
  if (parts.optimizer) {
    const sd = parts.optimizer.stateDict();
    for (const [key, t] of sd.tensors) entries[`optimizer.${key}`] = t;
    optimizerJson = sd.json;
  }
  const metadata = {
    format: FORMAT,
    epoch: String(info.epoch),
    optimizer: JSON.stringify(optimizerJson),
    scheduler: JSON.stringify(parts.scheduler ? parts.scheduler.stateDict() : null),
    rng: JSON.stringify(
      (parts.generator ?? defaultGenerator).getState().map((v) => (Number.isNaN(v) ? null : v)),
    ),
    extra: JSON.stringify(info.extra ?? null),
  };
  saveSafetensors(entries, path, { metadata, dtypes });
}

/** Restores every part given from a checkpoint; returns the epoch and your extra data. */
export function loadCheckpoint(path: string, parts: CheckpointParts): CheckpointInfo {
  const { tensors, metadata } = loadSafetensors(path);
  if (metadata.format !== FORMAT)
    throw new SafetensorsError(
      'loadCheckpoint',
      path,
      null,
      `not a convkit checkpoint (format '${metadata.format}')`,
    );
  const json = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key]);
    } catch {
      throw new SafetensorsError(
        'loadCheckpoint',
        path,
        null,
        `metadata '${key}' is missing or not JSON`,
      );
    }
  };
  const prefixed = (prefix: string) =>
    new Map(
      Object.entries(tensors)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, t]) => [k.slice(prefix.length), t]),
    );
  parts.model.loadStateDict(prefixed('model.'));
  if (parts.optimizer) {
    const state = json('optimizer') as OptimizerStateDict['json'] | null;
    if (state === null)
      throw new SafetensorsError(
        'loadCheckpoint',
        path,
        null,
        'the checkpoint has no optimizer state',
      );
    parts.optimizer.loadStateDict({ tensors: prefixed('optimizer.'), json: state });
  }
  if (parts.scheduler) {
    const state = json('scheduler') as SchedulerState | null;
    if (state === null)
      throw new SafetensorsError(
        'loadCheckpoint',
        path,
        null,
        'the checkpoint has no scheduler state',
      );
    parts.scheduler.loadStateDict(state);
  }
  const rng = json('rng') as Array<number | null>;
  (parts.generator ?? defaultGenerator).setState(rng.map((v) => (v === null ? NaN : v)));
  for (const t of Object.values(tensors)) t.dispose();
  return { epoch: Number(metadata.epoch), extra: json('extra') };
}
