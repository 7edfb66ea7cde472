/** Per-epoch progress on stderr: a redrawn bar on a TTY, plain lines otherwise. */

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
