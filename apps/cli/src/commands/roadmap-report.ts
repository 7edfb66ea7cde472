/**
 * The outputs of `nextnets roadmap`: roadmap.json, roadmap.md (a Markdown table) and two figures as SVG + PNG, the
 * paper's Figure 2 (one bar per step: measured top-1, with GMACs) and the kernel-size sweep (top-1 against kernel).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { ROADMAP_STEPS } from '@nextnets/models-roadmap';
import { paddedRange } from '@nextnets/train';
import { svgToPng } from '@nextnets/train/node';

/** One trained network of the roadmap (a step, or a kernel size of the sweep). */
export interface RoadmapRecord {
  /** Folder name under the output: the step name, or `roadmap_kernel_7_k<k>` for the sweep. */
  id: string;
  step: string;
  change: string;
  kernelSize: number;
  params: number;
  /** MACs of one image at the trained input size, in G. */
  gmacs: number;
  /** Final eval top-1/top-5 in [0, 1]; null when the run has no final evaluation. */
  top1: number | null;
  top5: number | null;
  steps: number;
  /** Training time (evaluation excluded) over every session of the run. */
  seconds: number;
  paperTop1: number;
  paperGmacs: number;
}

export interface RoadmapReport {
  command: string;
  backend: string;
  dataset: string;
  imageSize: number;
  widthMult: number;
  depthMult: number;
  seed: number;
  steps: RoadmapRecord[];
  kernelSweep: RoadmapRecord[];
}

const pct = (x: number | null): string => (x === null ? '-' : (100 * x).toFixed(2));
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** MACs given in G, in G or M units with three significant digits (`4.46 G`, `0.432 M`). */
export function formatMacs(gmacs: number): string {
  return gmacs >= 0.1 ? `${gmacs.toPrecision(3)} G` : `${(gmacs * 1000).toPrecision(3)} M`;
}

/** The Markdown table: one row per step, then the kernel sweep. */
export function renderTable(report: RoadmapReport): string {
  const lines = [
    `Roadmap on ${report.dataset} at ${report.imageSize}², width ×${report.widthMult}, depth ×${report.depthMult}, seed ${report.seed} (${report.backend}).`,
    '',
    '| step | change | params | MACs | top-1 (%) | top-5 (%) | train steps | train seconds | paper top-1 | paper GFLOPs@224 |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const row = (r: RoadmapRecord, label: string): string =>
    `| ${label} | ${r.change} | ${r.params.toLocaleString('en-US')} | ${formatMacs(r.gmacs)} | ${pct(r.top1)} | ${pct(r.top5)} | ${r.steps} | ${r.seconds.toFixed(0)} | ${r.paperTop1.toFixed(1)} | ${r.paperGmacs.toFixed(1)} |`;
  for (const r of report.steps) lines.push(row(r, `\`${r.step}\``));
  if (report.kernelSweep.length > 0) {
    lines.push('', 'Kernel-size sweep of `roadmap_kernel_7`:', '', '| kernel | params | MACs | top-1 (%) | top-5 (%) |', '|---:|---:|---:|---:|---:|');
    for (const r of report.kernelSweep) {
      lines.push(`| ${r.kernelSize} | ${r.params.toLocaleString('en-US')} | ${formatMacs(r.gmacs)} | ${pct(r.top1)} | ${pct(r.top5)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The paper's Figure 2 layout: one horizontal bar per step, top to bottom in roadmap order, its length the measured
 * top-1 (axis starting just below the lowest value, as the paper's does), labelled with top-1 and GMACs.
 */
export function renderRoadmapFigure(report: RoadmapReport): string {
  const rows = report.steps;
  const labelW = 230;
  const barW = 360;
  const rowH = 26;
  const top = 40;
  const width = labelW + barW + 150;
  const macsX = labelW + barW + 14;
  const height = top + rows.length * rowH + 40;
  const measured = rows.flatMap((r) => (r.top1 === null ? [] : [100 * r.top1]));
  const [lo, top1Hi] = measured.length > 0 ? paddedRange(measured) : [0, 100];
  const axisLo = Math.max(0, lo - (top1Hi - lo) * 0.5);
  const hi = top1Hi + (top1Hi - axisLo) * 0.12; // room for the value after the longest bar
  const px = (v: number): number => labelW + (barW * (v - axisLo)) / (hi - axisLo);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<title>ConvNeXt roadmap: top-1 and GMACs per step</title>`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${width / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(`roadmap on ${report.dataset} (${report.imageSize}², width ×${report.widthMult}, depth ×${report.depthMult})`)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = axisLo + ((hi - axisLo) * i) / 4;
    parts.push(`<line x1="${px(v)}" x2="${px(v)}" y1="${top - 4}" y2="${top + rows.length * rowH}" stroke="#eee"/>`);
    parts.push(`<text x="${px(v)}" y="${top + rows.length * rowH + 14}" text-anchor="middle" font-size="10">${v.toFixed(1)}</text>`);
  }
  parts.push(`<text x="${labelW + barW / 2}" y="${height - 8}" text-anchor="middle" font-size="11">top-1 accuracy (%)</text>`);
  parts.push(`<text x="${macsX}" y="${top - 10}" font-size="11" fill="#555">MACs / image</text>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    // ResNet-style steps in grey, the ConvNeXt-style ones (from the inverted bottleneck on) in blue, as in the paper.
    const colour = ROADMAP_STEPS.findIndex((step) => step.name === r.step) >= ROADMAP_BLUE_FROM ? '#1f77b4' : '#999999';
    parts.push(`<text x="${labelW - 6}" y="${y + rowH / 2 + 4}" text-anchor="end" font-size="11">${esc(r.step.replace(/^roadmap_/, ''))}</text>`);
    if (r.top1 !== null) {
      const x1 = px(100 * r.top1);
      parts.push(`<rect x="${labelW}" y="${y + 4}" width="${Math.max(1, x1 - labelW).toFixed(1)}" height="${rowH - 8}" fill="${colour}"/>`);
      parts.push(`<text x="${(x1 + 4).toFixed(1)}" y="${y + rowH / 2 + 4}" font-size="11">${pct(r.top1)}</text>`);
    }
    parts.push(`<text x="${macsX}" y="${y + rowH / 2 + 4}" font-size="11" fill="#555">${formatMacs(r.gmacs)}MACs</text>`);
  });
  parts.push(`<rect x="${labelW}" y="${top - 4}" width="${barW}" height="${rows.length * rowH + 4}" fill="none" stroke="#999"/>`);
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** Index of the first step drawn in blue (the inverted bottleneck, where the block stops being ResNet's). */
const ROADMAP_BLUE_FROM = 4;

/** Top-1 against kernel size (the paper reports saturation at 7×7), one point per kernel, labelled with GMACs. */
export function renderKernelSweepFigure(report: RoadmapReport): string {
  const pts = report.kernelSweep.filter((r) => r.top1 !== null).map((r) => ({ k: r.kernelSize, y: 100 * (r.top1 as number), g: r.gmacs }));
  const width = 420;
  const height = 280;
  const m = { left: 56, right: 16, top: 32, bottom: 40 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const ks = pts.map((p) => p.k);
  // one kernel step of room on each side, so the end points and their labels stay inside the frame
  const [klo, khi] = ks.length > 0 ? [Math.min(...ks) - 1, Math.max(...ks) + 1] : [6, 8];
  const [ylo, yTop] = paddedRange(pts.length > 0 ? pts.map((p) => p.y) : [0, 100]);
  const yhi = yTop + (yTop - ylo) * 0.1; // room for the point labels
  const px = (k: number): number => m.left + (plotW * (k - klo)) / (khi - klo);
  const py = (y: number): number => m.top + plotH * (1 - (y - ylo) / (yhi - ylo));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    '<title>ConvNeXt roadmap: kernel-size sweep</title>',
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${width / 2}" y="18" text-anchor="middle" font-weight="bold">kernel-size sweep of roadmap_kernel_7</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = ylo + ((yhi - ylo) * i) / 4;
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 4}" y="${py(y) + 4}" text-anchor="end" font-size="10">${y.toPrecision(3)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const p of pts) parts.push(`<text x="${px(p.k)}" y="${m.top + plotH + 14}" text-anchor="middle" font-size="10">${p.k}×${p.k}</text>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 6}" text-anchor="middle" font-size="11">depthwise kernel (points: top-1, MACs / image)</text>`);
  if (pts.length > 0) {
    const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p.k).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
    for (const p of pts) {
      parts.push(`<circle cx="${px(p.k).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="#1f77b4"/>`);
      parts.push(`<text x="${px(p.k).toFixed(1)}" y="${(py(p.y) - 8).toFixed(1)}" text-anchor="middle" font-size="10">${p.y.toFixed(1)}% (${formatMacs(p.g)})</text>`);
    }
  }
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** Writes `<base>.svg` then `<base>.png`; a PNG that cannot be rendered is reported through `warn` and skipped. */
async function writeFigure(dir: string, base: string, svg: string, warn: (line: string) => void): Promise<void> {
  writeFileAtomic(join(dir, `${base}.svg`), svg);
  try {
    writeFileAtomic(join(dir, `${base}.png`), await svgToPng(svg));
  } catch (error) {
    warn(`note: ${base}.png not written: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** roadmap.json, roadmap.md, roadmap.svg/.png and, with a sweep, kernel-sweep.svg/.png; each file atomically. */
export async function writeRoadmapReport(dir: string, report: RoadmapReport, warn: (line: string) => void): Promise<void> {
  writeFileAtomic(join(dir, 'roadmap.json'), `${JSON.stringify(report, null, 1)}\n`);
  writeFileAtomic(join(dir, 'roadmap.md'), renderTable(report));
  await writeFigure(dir, 'roadmap', renderRoadmapFigure(report), warn);
  if (report.kernelSweep.length > 0) await writeFigure(dir, 'kernel-sweep', renderKernelSweepFigure(report), warn);
}
