/** `curves.svg` (and, with a PNG renderer such as `svgToPng` of `@nextnets/train/node`, `curves.png`): training/eval loss and top-1 accuracy per epoch, drawn as two line charts (plain SVG, no dependencies). */
import type { EpochSummary } from './metrics.js';
import type { TrainStorage } from './storage.js';

interface Series {
  name: string;
  colour: string;
  points: Array<[number, number]>;
}

const WIDTH = 420;
const HEIGHT = 280;
const MARGIN = { left: 56, right: 16, top: 32, bottom: 40 };

/** An axis range around the values with 5% padding (and a unit range for a single value). */
export function paddedRange(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** x labels: whole epochs 0, k, 2k, … (at most 9), plus the last epoch when it lies at least k/2 past that grid. */
export function epochTicks(maxEpoch: number): number[] {
  const stride = Math.max(1, Math.ceil(maxEpoch / 8));
  const ticks = Array.from({ length: Math.floor(maxEpoch / stride) + 1 }, (_, i) => i * stride);
  if (ticks[ticks.length - 1] !== maxEpoch && maxEpoch - ticks[ticks.length - 1] >= stride / 2) ticks.push(maxEpoch);
  return ticks;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** One chart at horizontal offset `x0`. */
function chart(x0: number, title: string, series: Series[], maxEpoch: number): string {
  const values = series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
  if (values.length === 0) return '';
  const [ylo, yhi] = paddedRange(values);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => x0 + MARGIN.left + (plotW * x) / Math.max(1, maxEpoch);
  const py = (y: number) => MARGIN.top + plotH * (1 - (y - ylo) / (yhi - ylo));
  const parts: string[] = [`<text x="${x0 + WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const y = ylo + ((yhi - ylo) * i) / 4;
    parts.push(`<line x1="${x0 + MARGIN.left}" x2="${x0 + MARGIN.left + plotW}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + MARGIN.left - 4}" y="${py(y) + 4}" text-anchor="end" font-size="10">${y.toPrecision(3)}</text>`);
  }
  // the frame after the grid, so the top and bottom grid lines do not paint over it
  parts.push(`<rect x="${x0 + MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const e of epochTicks(maxEpoch)) {
    parts.push(`<text x="${px(e)}" y="${MARGIN.top + plotH + 14}" text-anchor="middle" font-size="10">${e}</text>`);
  }
  parts.push(`<text x="${x0 + MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle" font-size="11">epoch</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    if (pts.length === 0) return;
    const d = pts.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    for (const [x, y] of pts) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${s.colour}"/>`);
    const ly = MARGIN.top + 12 + 14 * i;
    parts.push(`<line x1="${x0 + WIDTH - 130}" x2="${x0 + WIDTH - 112}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"/>`);
    parts.push(`<text x="${x0 + WIDTH - 108}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return parts.join('\n');
}

/**
 * Renders the loss and accuracy curves of the epoch summaries (epochs counted from 1); `stepLosses` adds the training
 * loss logged within epochs as [fractional epoch, loss] points.
 */
export function renderCurves(epochs: EpochSummary[], title = 'training curves', stepLosses: Array<[number, number]> = []): string {
  const maxEpoch = Math.max(1, ...epochs.map((e) => e.epoch + 1));
  const pts = (f: (e: EpochSummary) => number | undefined) =>
    epochs.filter((e) => f(e) !== undefined).map((e): [number, number] => [e.epoch + 1, f(e) as number]);
  const loss = chart(0, 'loss', [
    ...(stepLosses.length > 0 ? [{ name: 'train (steps)', colour: '#aec7e8', points: stepLosses }] : []),
    { name: 'train', colour: '#1f77b4', points: pts((e) => e.trainLoss) },
    { name: 'eval', colour: '#d62728', points: pts((e) => e.evalLoss) },
  ], maxEpoch);
  const acc = chart(WIDTH, 'accuracy (%)', [
    { name: 'top-1', colour: '#2ca02c', points: pts((e) => (e.top1 === undefined ? undefined : 100 * e.top1)) },
    { name: 'top-1 EMA', colour: '#9467bd', points: pts((e) => (e.emaTop1 === undefined ? undefined : 100 * e.emaTop1)) },
  ], maxEpoch);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * WIDTH}" height="${HEIGHT}" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    '<rect width="100%" height="100%" fill="white"/>',
    loss,
    acc,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Writes `curves.svg` and, with a renderer (`svgToPng` of `@nextnets/train/node`), `curves.png`. A PNG that cannot be
 * rendered is reported through `warn` and skipped (the SVG holds the same chart), so a long run never stops over it.
 */
export async function writeCurves(
  storage: TrainStorage,
  svg: string,
  renderPng: ((svg: string) => Promise<Uint8Array>) | undefined,
  warn: (line: string) => void | Promise<void>,
): Promise<void> {
  await storage.write('curves.svg', svg);
  if (!renderPng) return;
  let png: Uint8Array;
  try {
    png = await renderPng(svg);
  } catch (error) {
    await warn(`note: curves.png not written: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  await storage.write('curves.png', png);
}
