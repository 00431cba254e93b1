// Pieces the train and eval commands share: model construction for a dataset, optimizer and
// schedule from names, weights from a checkpoint or a state-dict file, the run's config.json.
import * as fs from 'fs';
import * as path from 'path';
import { loadSafetensors } from '../io/safetensors';
import * as models from '../models';
import type { Module } from '../nn/module';
import * as optim from '../optim';
import type { Scheduler } from '../train/types';
import type { DatasetSpec } from './data';
import { UsageError } from './options';

export const optimizerNames = ['sgd', 'adam', 'adamw', 'rmsprop'] as const;
export const scheduleNames = ['none', 'cosine', 'onecycle', 'step'] as const;

/** The registry entry, or a usage error naming the closest names. */
export function modelInfo(name: string): models.ModelInfo {
  try {
    return models.info(name);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^convkit\.models\.create: /, ''));
  }
}

/** The model for a dataset: its classes, and its channels when they differ from the default. */
export function createModel(
  name: string,
  spec: Pick<DatasetSpec, 'classes' | 'shape'>,
  modelOptions: Record<string, unknown>,
): Module {
  const info = modelInfo(name);
  const channels = spec.shape[2];
  try {
    return info.create({
      numClasses: spec.classes,
      ...(channels !== info.inChannels ? { inChannels: channels } : {}),
      ...modelOptions,
    });
  } catch (error) {
    // A bad option for this model (the constructors name it).
    throw new UsageError((error as Error).message);
  }
}

export interface OptimizerArgs {
  optimizer: string;
  lr: number;
  momentum: number;
  weightDecay: number;
}

export function createOptimizer(model: Module, a: OptimizerArgs): optim.Optimizer {
  const params = model.parameters();
  switch (a.optimizer) {
    case 'sgd':
      return new optim.SGD(params, { lr: a.lr, momentum: a.momentum, weightDecay: a.weightDecay });
    case 'adam':
      return new optim.Adam(params, { lr: a.lr, weightDecay: a.weightDecay });
    case 'adamw':
      return new optim.AdamW(params, { lr: a.lr, weightDecay: a.weightDecay });
    case 'rmsprop':
      return new optim.RMSprop(params, {
        lr: a.lr,
        momentum: a.momentum,
        weightDecay: a.weightDecay,
      });
    default:
      throw new UsageError(`unknown optimizer '${a.optimizer}'`);
  }
}

/** cosine and onecycle step per batch; step (x0.1 at 1/3 and 2/3 of the run) per epoch. */
export function createScheduler(
  schedule: string,
  optimizer: optim.Optimizer,
  epochs: number,
  stepsPerEpoch: number,
  lr: number,
): { scheduler?: Scheduler; interval: 'step' | 'epoch' } {
  const totalSteps = Math.max(1, epochs * stepsPerEpoch);
  switch (schedule) {
    case 'none':
      return { interval: 'epoch' };
    case 'cosine':
      return {
        scheduler: new optim.CosineAnnealingLR(optimizer, { tMax: totalSteps }),
        interval: 'step',
      };
    case 'onecycle':
      return {
        scheduler: new optim.OneCycleLR(optimizer, { maxLr: lr, totalSteps }),
        interval: 'step',
      };
    case 'step':
      return {
        scheduler: new optim.MultiStepLR(optimizer, {
          milestones: [Math.round(epochs / 3), Math.round((2 * epochs) / 3)].filter(
            (m, i, all) => m > 0 && all.indexOf(m) === i,
          ),
          gamma: 0.1,
        }),
        interval: 'epoch',
      };
    default:
      throw new UsageError(`unknown schedule '${schedule}'`);
  }
}

/** Loads weights from a convkit checkpoint (model.* entries) or a plain state-dict file. */
export function loadWeights(model: Module, file: string): void {
  if (!fs.existsSync(file)) throw new UsageError(`no weights file at ${file}`);
  const { tensors, metadata } = loadSafetensors(file);
  const isCheckpoint = metadata.format === 'convkit-checkpoint-1';
  const state = new Map(
    Object.entries(tensors)
      .filter(([k]) => !isCheckpoint || k.startsWith('model.'))
      .map(([k, t]) => [isCheckpoint ? k.slice('model.'.length) : k, t]),
  );
  model.loadStateDict(state);
  for (const t of Object.values(tensors)) t.dispose();
}

/** What `convkit train` records in <out>/config.json, so `convkit eval --run` can rebuild it. */
export interface RunConfig {
  model: string;
  modelOptions: Record<string, unknown>;
  data: string;
  dataDir?: string;
  [key: string]: unknown;
}

export function readRunConfig(dir: string): RunConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new UsageError(`no run at ${dir} (missing config.json)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunConfig;
}
