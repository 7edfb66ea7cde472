/** A download progress bar on stderr: bytes so far, total and speed; one summary line when not a terminal. */
import type { DownloadProgress } from '@nextnets/hub/node';

/** 1234567 → "1.2 MB" (decimal units, like the hub's file sizes). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `[#########-----------]  12.3 MB / 25.6 MB  4.1 MB/s` */
export function formatProgress(loaded: number, total: number, seconds: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, loaded / total) : 1;
  const filled = Math.round(fraction * width);
  const speed = seconds > 0 ? `${formatBytes(loaded / seconds)}/s` : '-';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${formatBytes(loaded)} / ${formatBytes(total)}  ${speed}`;
}

export class DownloadBar {
  private start: number | undefined;
  private lastDraw = 0;
  private last: DownloadProgress | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Progress callback for `@nextnets/hub` downloads. */
  readonly update = (p: DownloadProgress): void => {
    const t = this.now();
    this.start ??= t;
    this.last = p;
    if (this.out.isTTY && (t - this.lastDraw > 100 || p.loaded === p.total)) {
      this.lastDraw = t;
      this.out.write(`\r${p.file} ${formatProgress(p.loaded, p.total, (t - this.start) / 1000)}\x1b[K`);
    }
  };

  /** Ends the bar with a summary line (nothing when nothing was downloaded). */
  finish(): void {
    if (!this.last || this.start === undefined) return;
    const seconds = (this.now() - this.start) / 1000;
    const speed = seconds > 0 ? `, ${formatBytes(this.last.loaded / seconds)}/s` : '';
    this.out.write(`${this.out.isTTY ? '\r\x1b[K' : ''}downloaded ${this.last.file}: ${formatBytes(this.last.loaded)} in ${seconds.toFixed(1)} s${speed}\n`);
    this.last = undefined;
  }
}
