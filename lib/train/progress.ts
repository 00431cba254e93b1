// What a person watching a run sees: on a terminal, a cli-progress bar per epoch with loss,
// accuracy, images/s and ETA; elsewhere (CI logs, pipes, files), plain lines a few times per
// epoch and one summary line per epoch.
import { SingleBar } from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface StepStatus {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  top1: number;
  imagesPerSecond: number;
  lr: number;
}

export interface ProgressReporter {
  startEpoch(epoch: number, epochs: number, steps: number, startStep: number): void;
  update(status: StepStatus): void;
  /** Ends the epoch's bar and prints its summary line. */
  endEpoch(summary: string): void;
  /** A line outside the bars (e.g. "checkpoint saved"). */
  message(text: string): void;
  stop(): void;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

const percent = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '-');
const number = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '-');

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const t = Math.round(s);
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}

export function createProgress(mode: ProgressMode, stream: Stream): ProgressReporter {
  const resolved = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
  if (resolved === 'bar') return new BarReporter(stream);
  if (resolved === 'lines') return new LineReporter(stream);
  return {
    startEpoch() {},
    update() {},
    endEpoch() {},
    message() {},
    stop() {},
  };
}

class BarReporter implements ProgressReporter {
  private bar: SingleBar | null = null;

  constructor(private readonly stream: Stream) {}

  startEpoch(epoch: number, epochs: number, steps: number, startStep: number): void {
    this.bar = new SingleBar({
      stream: this.stream,
      format:
        'epoch {epoch} |{bar}| {value}/{total} loss {loss} acc {acc} {ips} img/s lr {lr} ETA {eta_formatted}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
      // Redraw on a timer so the ETA keeps moving between slow steps.
      fps: 5,
    });
    this.bar.start(steps, startStep, {
      epoch: `${epoch + 1}/${epochs}`,
      loss: '-',
      acc: '-',
      ips: '-',
      lr: '-',
    });
  }

  update(s: StepStatus): void {
    this.bar?.update(s.step, {
      loss: number(s.loss),
      acc: percent(s.top1),
      ips: s.imagesPerSecond.toFixed(0),
      lr: s.lr.toPrecision(3),
    });
  }

  endEpoch(summary: string): void {
    this.bar?.stop();
    this.bar = null;
    this.stream.write(summary + '\n');
  }

  message(text: string): void {
    // Above the bar: clear its line, print, and let the next redraw bring it back.
    if (this.bar) this.stream.write('\r\x1b[K');
    this.stream.write(text + '\n');
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

class LineReporter implements ProgressReporter {
  private every = 1;
  private started = 0;
  private startStep = 0;

  constructor(private readonly stream: Stream) {}

  startEpoch(_epoch: number, _epochs: number, steps: number, startStep: number): void {
    // Four progress lines per epoch keep a CI log readable and still show a run is alive.
    this.every = Math.max(1, Math.ceil(steps / 4));
    this.started = Date.now();
    this.startStep = startStep;
  }

  update(s: StepStatus): void {
    if (s.step % this.every !== 0 || s.step === s.steps) return;
    const elapsed = (Date.now() - this.started) / 1000;
    const done = s.step - this.startStep;
    const eta = done > 0 ? (elapsed / done) * (s.steps - s.step) : NaN;
    this.stream.write(
      `epoch ${s.epoch + 1}/${s.epochs} step ${s.step}/${s.steps} loss ${number(s.loss)} ` +
        `acc ${percent(s.top1)} ${s.imagesPerSecond.toFixed(0)} img/s ETA ${formatSeconds(eta)}\n`,
    );
  }

  endEpoch(summary: string): void {
    this.stream.write(summary + '\n');
  }

  message(text: string): void {
    this.stream.write(text + '\n');
  }

  stop(): void {}
}

export { formatSeconds, percent as formatPercent };
