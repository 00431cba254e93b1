// fit(model, options): the training loop. Each step runs inside tidy (native memory stays
// flat); the LR schedule steps per batch or per epoch; every epoch appends a JSON line to
// <log.dir>/log.jsonl, redraws <log.dir>/curves.svg and (every `checkpoint.every` epochs)
// replaces <checkpoint.dir>/last.safetensors atomically. Ctrl-C finishes the current step,
// saves a checkpoint of the exact position and returns { interrupted: true }; `resume`
// continues from it. fit is async only so the event loop can deliver SIGINT between steps.
import * as fs from 'fs';
import * as path from 'path';
import { tidy } from '../autograd';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint';
import { writeFileAtomic } from '../io/atomic';
import type { Module } from '../nn/module';
import * as F from '../ops';
import type { Optimizer } from '../optim/optimizer';
import { ReduceLROnPlateau } from '../optim/onecycle_plateau';
import { defaultGenerator, Generator } from '../random';
import { checkLogits, evaluationSteps, EvaluateResult, LossFn } from './evaluate';
import { MetricAccumulator } from './metrics';
import { createProgress, formatPercent, ProgressMode, ProgressReporter } from './progress';
import { learningCurvesSvg } from './svg';
import type { Loader, Scheduler } from './types';

export type MetricName = 'loss' | 'top1' | 'top5';

export interface FitOptions {
  train: Loader;
  val?: Loader;
  epochs: number;
  optimizer: Optimizer;
  scheduler?: Scheduler;
  /** When the scheduler steps: after every batch, or after every epoch (default). */
  schedulerInterval?: 'step' | 'epoch';
  /** Default: cross-entropy with `labelSmoothing`. Validation uses plain cross-entropy. */
  loss?: LossFn;
  labelSmoothing?: number;
  /** Which metrics the epoch summary line shows (the JSON log has them all). */
  metrics?: MetricName[];
  /** Writes <dir>/last.safetensors every `every` epochs (default 1), after the last epoch and on Ctrl-C. */
  checkpoint?: { dir: string; every?: number };
  /** true: continue from <checkpoint.dir>/last.safetensors if it exists; a path: from that file. */
  resume?: boolean | string;
  log?: {
    /** Run directory for log.jsonl and curves.svg. */
    dir?: string;
    /** 'auto' (default): progress bars on a terminal, plain lines otherwise. */
    progress?: ProgressMode;
    /** Where progress goes (default process.stderr for bars, process.stdout for lines). */
    stream?: NodeJS.WritableStream;
    /** Title of the learning-curve chart. */
    title?: string;
  };
  /** The generator whose state checkpoints save (default: the global one). */
  generator?: Generator;
  /** Stop cleanly on SIGINT (default true). */
  handleSigint?: boolean;
  /** Called after each epoch with its record (e.g. for early stopping bookkeeping). */
  onEpochEnd?: (record: EpochRecord) => void;
  /** Called after every training step (optimizer update done), with the epoch and step (from 1). */
  onStepEnd?: (epoch: number, step: number) => void;
}

/** One line of log.jsonl. Accuracies are fractions in [0, 1]; times in seconds. */
export interface EpochRecord {
  epoch: number;
  /** The learning rate of the epoch's first step. */
  lr: number;
  trainLoss: number;
  trainTop1: number;
  trainTop5: number;
  valLoss?: number;
  valTop1?: number;
  valTop5?: number;
  images: number;
  imagesPerSecond: number;
  /** Of trainSeconds, the time spent waiting for the loader. */
  dataSeconds: number;
  trainSeconds: number;
  valSeconds: number;
  epochSeconds: number;
  time: string;
}

export interface FitResult {
  history: EpochRecord[];
  /** Epochs completed (including those before a resume). */
  epochsCompleted: number;
  interrupted: boolean;
  checkpointPath: string | null;
}

/** Where an interrupted epoch stopped: enough to continue it exactly. */
interface Position {
  epoch: number;
  step: number;
  rngAtEpochStart: Array<number | null>;
  metrics: ReturnType<MetricAccumulator['state']>;
  images: number;
  dataSeconds: number;
  trainSeconds: number;
}

interface CheckpointExtra {
  history: EpochRecord[];
  position: Position | null;
}

const CHECKPOINT_FILE = 'last.safetensors';

function checkFitOptions(options: FitOptions): void {
  const fail = (what: string) => {
    throw new RangeError(`convkit.train.fit: ${what}`);
  };
  if (!options || typeof options !== 'object') fail('expected an options object');
  if (!options.train || typeof options.train[Symbol.iterator] !== 'function')
    fail('expected `train` to be an iterable loader of { x, labels } batches');
  if (!Number.isInteger(options.epochs) || options.epochs < 1)
    fail(`expected \`epochs\` to be an integer >= 1 but received ${options.epochs}`);
  if (!options.optimizer) fail('expected an `optimizer`');
  const interval = options.schedulerInterval ?? 'epoch';
  if (interval !== 'step' && interval !== 'epoch')
    fail(`expected schedulerInterval 'step' or 'epoch' but received '${interval}'`);
  const every = options.checkpoint?.every ?? 1;
  if (!Number.isInteger(every) || every < 1)
    fail(`expected checkpoint.every to be an integer >= 1 but received ${every}`);
  if (options.resume === true && !options.checkpoint)
    fail('resume: true needs checkpoint.dir (or pass the checkpoint path as `resume`)');
}

const toJsonRng = (state: number[]) => state.map((v) => (Number.isNaN(v) ? null : v));
const fromJsonRng = (state: Array<number | null>) => state.map((v) => (v === null ? NaN : v));
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Trains `model`; resolves when every epoch is done or Ctrl-C stopped the run. */
export async function fit(model: Module, options: FitOptions): Promise<FitResult> {
  checkFitOptions(options);
  const { train, val, epochs, optimizer, scheduler } = options;
  const interval = options.schedulerInterval ?? 'epoch';
  const generator = options.generator ?? defaultGenerator;
  const labelSmoothing = options.labelSmoothing ?? 0;
  const lossFn: LossFn =
    options.loss ?? ((logits, labels) => F.crossEntropy(logits, labels, { labelSmoothing }));
  const shown = options.metrics ?? ['loss', 'top1'];
  const logDir = options.log?.dir;
  const checkpointDir = options.checkpoint?.dir;
  const every = options.checkpoint?.every ?? 1;
  const checkpointPath = checkpointDir ? path.join(checkpointDir, CHECKPOINT_FILE) : null;
  for (const dir of [logDir, checkpointDir]) if (dir) fs.mkdirSync(dir, { recursive: true });
  const logPath = logDir ? path.join(logDir, 'log.jsonl') : null;
  const svgPath = logDir ? path.join(logDir, 'curves.svg') : null;

  const progressMode = options.log?.progress ?? 'auto';
  const stream =
    options.log?.stream ??
    ((progressMode === 'auto' && process.stderr.isTTY) || progressMode === 'bar'
      ? process.stderr
      : process.stdout);
  const progress: ProgressReporter = createProgress(progressMode, stream);
  const parts = { model, optimizer, scheduler, generator };

  // Resume.
  let history: EpochRecord[] = [];
  let position: Position | null = null;
  let startEpoch = 0;
  const resumeFrom =
    typeof options.resume === 'string' ? options.resume : options.resume ? checkpointPath : null;
  if (resumeFrom !== null) {
    if (fs.existsSync(resumeFrom)) {
      const info = loadCheckpoint(resumeFrom, parts);
      const extra = (info.extra ?? {}) as Partial<CheckpointExtra>;
      history = Array.isArray(extra.history) ? extra.history : [];
      position = extra.position ?? null;
      startEpoch = info.epoch;
      progress.message(
        `resumed from ${resumeFrom}: ${startEpoch} epoch(s) done` +
          (position ? `, epoch ${startEpoch + 1} at step ${position.step}` : ''),
      );
    } else if (typeof options.resume === 'string') {
      throw new RangeError(`convkit.train.fit: no checkpoint to resume from at ${resumeFrom}`);
    }
  }
  if (startEpoch >= epochs)
    progress.message(
      `nothing to train: the checkpoint has ${startEpoch} epoch(s), epochs is ${epochs}`,
    );
  // The log holds exactly the epochs the checkpoint knows (a crash after a log line but before
  // the next checkpoint would otherwise leave a duplicate).
  if (logPath) writeFileAtomic(logPath, [Buffer.from(history.map(jsonLine).join(''))]);

  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) {
      // A second Ctrl-C: the user means it. The last checkpoint is intact (atomic writes).
      progress.stop();
      process.exit(130);
    }
    stopRequested = true;
    progress.message('stopping after this step (Ctrl-C again to quit at once)...');
  };
  const handleSigint = options.handleSigint ?? true;
  if (handleSigint) process.on('SIGINT', onSigint);

  const save = (completed: number, pos: Position | null) => {
    if (!checkpointPath) return;
    const extra: CheckpointExtra = { history, position: pos };
    saveCheckpoint(checkpointPath, parts, { epoch: completed, extra });
  };

  try {
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      train.setEpoch?.(epoch);
      val?.setEpoch?.(epoch);
      model.train();
      const metrics = new MetricAccumulator();
      const resuming = position !== null && position.epoch === epoch ? position : null;
      position = null;
      const rngAtEpochStart = resuming
        ? fromJsonRng(resuming.rngAtEpochStart)
        : generator.getState();
      let images = resuming?.images ?? 0;
      let dataSeconds = resuming?.dataSeconds ?? 0;
      let trainSeconds = resuming?.trainSeconds ?? 0;
      if (resuming) metrics.restore(resuming.metrics);
      const steps = train.length;
      let step = resuming?.step ?? 0;
      const epochLr = optimizer.paramGroups[0].lr;
      progress.startEpoch(epoch, epochs, steps, step);

      // The loader draws its shuffle when iteration starts: replay that from the epoch's RNG
      // state, skip the batches already trained on, then continue from the saved state.
      const rngNow = generator.getState();
      if (resuming) generator.setState(rngAtEpochStart);
      const iterator = train[Symbol.iterator]();
      for (let i = 0; i < step; i++) tidy(() => void iterator.next());
      if (resuming) generator.setState(rngNow);

      for (;;) {
        const lr = optimizer.paramGroups[0].lr;
        const t0 = performance.now();
        const done = tidy(() => {
          const next = iterator.next();
          dataSeconds += (performance.now() - t0) / 1000;
          if (next.done) return true;
          const { x, labels } = next.value;
          optimizer.zeroGrad();
          const logits = model.forward(x);
          const classes = checkLogits('train.fit', logits, labels.length);
          const loss = lossFn(logits, labels);
          loss.backward();
          optimizer.step();
          if (scheduler && interval === 'step') scheduler.step();
          metrics.add(logits.data, classes, labels, loss.item());
          images += labels.length;
          return false;
        });
        if (done) break;
        step++;
        trainSeconds += (performance.now() - t0) / 1000;
        options.onStepEnd?.(epoch, step);
        const running = metrics.values();
        progress.update({
          epoch,
          epochs,
          step,
          steps,
          loss: running.loss,
          top1: running.top1,
          imagesPerSecond: images / trainSeconds,
          lr,
        });
        await yieldToEventLoop();
        if (stopRequested) {
          progress.stop();
          save(epoch, {
            epoch,
            step,
            rngAtEpochStart: toJsonRng(rngAtEpochStart),
            metrics: metrics.state(),
            images,
            dataSeconds,
            trainSeconds,
          });
          progress.message(
            checkpointPath
              ? `interrupted at epoch ${epoch + 1} step ${step}; saved ${checkpointPath}`
              : `interrupted at epoch ${epoch + 1} step ${step}`,
          );
          return { history, epochsCompleted: epoch, interrupted: true, checkpointPath };
        }
      }

      let valResult: EvaluateResult | null = null;
      if (val) {
        const evaluation = evaluationSteps(model, val);
        for (;;) {
          const next = evaluation.next();
          if (next.done) {
            valResult = next.value;
            break;
          }
          await yieldToEventLoop();
        }
      }
      const trainValues = metrics.values();
      if (scheduler && interval === 'epoch') {
        if (scheduler instanceof ReduceLROnPlateau)
          scheduler.step(valResult ? valResult.loss : trainValues.loss);
        else scheduler.step();
      }
      const valSeconds = valResult?.seconds ?? 0;
      const record: EpochRecord = {
        epoch: epoch + 1,
        lr: epochLr,
        trainLoss: trainValues.loss,
        trainTop1: trainValues.top1,
        trainTop5: trainValues.top5,
        ...(valResult
          ? { valLoss: valResult.loss, valTop1: valResult.top1, valTop5: valResult.top5 }
          : {}),
        images,
        imagesPerSecond: trainSeconds > 0 ? images / trainSeconds : 0,
        dataSeconds,
        trainSeconds,
        valSeconds,
        epochSeconds: trainSeconds + valSeconds,
        time: new Date().toISOString(),
      };
      history.push(record);
      if (logPath) fs.appendFileSync(logPath, jsonLine(record));
      if (svgPath)
        writeFileAtomic(svgPath, [
          Buffer.from(learningCurvesSvg(curvePoints(history), options.log?.title)),
        ]);
      progress.endEpoch(summaryLine(record, epochs, shown));
      const completed = epoch + 1;
      if (checkpointPath && (completed % every === 0 || completed === epochs))
        save(completed, null);
      options.onEpochEnd?.(record);
      if (stopRequested) {
        progress.message(`interrupted after epoch ${completed}`);
        return { history, epochsCompleted: completed, interrupted: true, checkpointPath };
      }
    }
  } finally {
    progress.stop();
    if (handleSigint) process.removeListener('SIGINT', onSigint);
  }
  return { history, epochsCompleted: epochs, interrupted: false, checkpointPath };
}

function jsonLine(record: EpochRecord): string {
  // NaN (an empty epoch) is not JSON: write null.
  return (
    JSON.stringify(record, (_k, v) => (typeof v === 'number' && !isFinite(v) ? null : v)) + '\n'
  );
}

function curvePoints(history: EpochRecord[]) {
  return history.map((r) => ({
    epoch: r.epoch,
    trainLoss: r.trainLoss,
    trainTop1: r.trainTop1,
    valLoss: r.valLoss,
    valTop1: r.valTop1,
  }));
}

function summaryLine(r: EpochRecord, epochs: number, shown: MetricName[]): string {
  const part = (prefix: string, loss?: number, top1?: number, top5?: number) => {
    const items: string[] = [];
    if (shown.includes('loss') && loss !== undefined) items.push(`loss ${loss.toFixed(4)}`);
    if (shown.includes('top1') && top1 !== undefined) items.push(`acc ${formatPercent(top1)}`);
    if (shown.includes('top5') && top5 !== undefined) items.push(`top5 ${formatPercent(top5)}`);
    return `${prefix} ${items.join(' ')}`;
  };
  const pieces = [
    `epoch ${r.epoch}/${epochs}`,
    part('train', r.trainLoss, r.trainTop1, r.trainTop5),
  ];
  if (r.valLoss !== undefined) pieces.push(part('val', r.valLoss, r.valTop1, r.valTop5));
  pieces.push(
    `${r.imagesPerSecond.toFixed(0)} img/s`,
    `${r.epochSeconds.toFixed(1)}s`,
    `lr ${r.lr.toPrecision(3)}`,
  );
  return pieces.join(' | ');
}
