/** Per-epoch progress on stderr: a redrawn bar on a TTY, plain lines otherwise, driven by the Trainer's events. */
import { join } from 'node:path';
import type { Evaluation, StageInfo, TrainerEventName, TrainerListener } from '@nextnets/train';

export interface ProgressUpdate {
  done: number;
  loss: number;
  lr: number;
  imgPerSec: number;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export class ProgressBar {
  private readonly tty: boolean;
  private readonly start = Date.now();
  private readonly every: number;
  private lastLine = '';

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly firstDone = 0,
  ) {
    this.tty = Boolean(stream.isTTY);
    this.every = Math.max(1, Math.round(total / 20));
  }

  /** Whether step `done` is one of the ~20 points per epoch that get a plain line / metrics record. */
  logPoint(done: number): boolean {
    return done % this.every === 0 || done === this.total;
  }

  update(u: ProgressUpdate): void {
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = (u.done - this.firstDone) / Math.max(elapsed, 1e-9);
    const eta = (this.total - u.done) / rate;
    const stats = `loss ${u.loss.toFixed(4)} lr ${u.lr.toExponential(2)} ${u.imgPerSec.toFixed(1)} img/s ETA ${formatDuration(eta)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((width * u.done) / this.total);
      this.lastLine = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${u.done}/${this.total} ${stats}`;
      this.stream.write(`\r${this.lastLine}\x1b[K`);
    } else if (this.logPoint(u.done)) {
      this.stream.write(`${this.label} step ${u.done}/${this.total} ${stats}\n`);
    }
  }

  /** Ends the bar (newline on a TTY) and prints `summary` when given. */
  finish(summary?: string): void {
    if (this.tty && this.lastLine) this.stream.write('\n');
    if (summary) this.stream.write(`${summary}\n`);
  }
}

/** A progressive-learning stage in a few words: `192 px, RandAugment m6.7, dropout 0.15` ('' without a stage). */
export function stageText(stage: StageInfo): string {
  const parts: string[] = [];
  if (stage.imageSize !== undefined) parts.push(`${stage.imageSize} px`);
  if (stage.randAugmentMagnitude !== undefined) parts.push(`RandAugment m${Number(stage.randAugmentMagnitude.toFixed(2))}`);
  if (stage.mixupAlpha) parts.push(`mixup ${Number(stage.mixupAlpha.toFixed(3))}`);
  if (stage.cutmixAlpha) parts.push(`cutmix ${Number(stage.cutmixAlpha.toFixed(3))}`);
  if (stage.dropout !== undefined) parts.push(`dropout ${Number(stage.dropout.toFixed(3))}`);
  return parts.join(', ');
}

/**
 * Draws a Trainer's progress on stderr: the resume note, one bar per epoch, and after each evaluation the line
 * `describe` makes of it (null: no line).
 */
export function attachProgress<E extends Evaluation>(
  trainer: { on<K extends TrainerEventName>(name: K, listener: TrainerListener<E, K>): unknown },
  outDir: string,
  log: (line: string) => void,
  describe: (epoch: number, trainLoss: number, result: E, ema?: E) => string | null,
): void {
  let bar: ProgressBar | undefined;
  let trainLoss = NaN;
  trainer.on('log', ({ message }) => log(message));
  trainer.on('start', ({ epoch, step, resumedFrom }) => {
    if (resumedFrom) log(`resuming from ${join(outDir, resumedFrom)} at epoch ${epoch + 1}, step ${step}`);
  });
  trainer.on('epochStart', ({ epoch, epochs, stepsPerEpoch, skip, stage }) => {
    const text = stageText(stage);
    bar = new ProgressBar(`epoch ${epoch + 1}/${epochs}${text ? ` (${text})` : ''}`, stepsPerEpoch, process.stderr, skip);
  });
  trainer.on('step', ({ batchInEpoch, loss, lr, imgPerSec }) => bar?.update({ done: batchInEpoch, loss, lr, imgPerSec }));
  trainer.on('epochTrained', (e) => {
    trainLoss = e.trainLoss;
    bar?.finish();
    bar = undefined;
  });
  trainer.on('evaluated', ({ epoch, result, ema }) => {
    const line = describe(epoch, trainLoss, result, ema);
    if (line !== null) log(line);
  });
}
