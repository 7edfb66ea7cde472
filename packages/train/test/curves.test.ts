/** curves.svg → curves.png: sharp/librsvg rasterises the chart with its lines and text. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { epochTicks, renderCurves, writeCurves } from '../src/index';
import { NodeStorage, svgToPng } from '../src/node';

const work = mkdtempSync(join(tmpdir(), 'nextnets-curves-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const svg = renderCurves(
  [
    { type: 'epoch', epoch: 0, step: 10, trainLoss: 2, evalLoss: 1.5, top1: 0.5, lr: 1e-3, seconds: 1 },
    { type: 'epoch', epoch: 1, step: 20, trainLoss: 1, evalLoss: 1.2, top1: 0.7, lr: 1e-4, seconds: 1 },
  ],
  'test run',
);

/** Pixels of an RGBA raster within `tolerance` of `rgb` inside the box [x0, x1) x [y0, y1). */
function countNear(raw: { data: Buffer; info: { width: number } }, rgb: number[], tolerance: number, box = [0, Infinity, 0, Infinity]): number {
  let n = 0;
  const { width } = raw.info;
  for (let i = 0; i < raw.data.length; i += 4) {
    const x = (i / 4) % width;
    const y = Math.floor(i / 4 / width);
    if (x < box[0] || x >= box[1] || y < box[2] || y >= box[3]) continue;
    if (rgb.every((v, c) => Math.abs(raw.data[i + c] - v) <= tolerance)) n++;
  }
  return n;
}

describe('curves', () => {
  it('labels whole epochs at an even stride, ending at the last epoch', () => {
    expect(epochTicks(1)).toEqual([0, 1]);
    expect(epochTicks(2)).toEqual([0, 1, 2]);
    expect(epochTicks(8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(epochTicks(10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(epochTicks(300)).toEqual([0, 38, 76, 114, 152, 190, 228, 266, 300]);
  });

  it('renders the SVG to a PNG at twice its size, with the series colours and dark title text', async () => {
    const png = await svgToPng(svg);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const raw = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([raw.info.width, raw.info.height]).toEqual([1680, 560]);
    expect(countNear(raw, [0x2c, 0xa0, 0x2c], 20)).toBeGreaterThan(200); // top-1 line (green)
    expect(countNear(raw, [0xd6, 0x27, 0x28], 20)).toBeGreaterThan(200); // eval loss line (red)
    // the bold 'loss' title, centred over the left chart in the top 24 rows (SVG y < 12 → text ascends from y 18)
    expect(countNear(raw, [0, 0, 0], 60, [340, 500, 0, 48])).toBeGreaterThan(50);
  });

  it('writes curves.svg and curves.png atomically (no temporary files left)', async () => {
    const dir = mkdtempSync(join(work, 'run-'));
    const warnings: string[] = [];
    await writeCurves(new NodeStorage(dir), svg, svgToPng, (line) => void warnings.push(line));
    expect(readdirSync(dir).sort()).toEqual(['curves.png', 'curves.svg']);
    expect(readFileSync(join(dir, 'curves.svg'), 'utf8')).toBe(svg);
    const png = readFileSync(join(dir, 'curves.png'));
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(png.length).toBeGreaterThan(10_000);
    expect(warnings).toEqual([]);
  });

  it('an SVG that cannot be rendered still gets written, with a one-line note instead of a PNG', async () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    const warnings: string[] = [];
    await writeCurves(new NodeStorage(dir), '<svg', svgToPng, (line) => void warnings.push(line));
    expect(readdirSync(dir)).toEqual(['curves.svg']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^note: curves\.png not written: /);
  });
});
