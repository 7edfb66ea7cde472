/** Writes a run's `curves.svg` and `curves.png` (the same chart rasterised by sharp through librsvg), each atomically. */
import { join } from 'node:path';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import sharp from 'sharp';

/** 144 dpi: twice sharp's default 72 (one pixel per SVG unit), so the PNG stays sharp on high-density screens. */
const PNG_DENSITY = 144;

/** Rasterises an SVG document to PNG bytes. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: PNG_DENSITY }).png({ compressionLevel: 9 }).toBuffer();
}

/**
 * Writes `<dir>/curves.svg`, then `<dir>/curves.png`. A PNG that cannot be rendered is reported through `warn` and
 * skipped (the SVG holds the same chart), so a long run never stops over it.
 */
export async function writeCurves(dir: string, svg: string, warn: (line: string) => void): Promise<void> {
  writeFileAtomic(join(dir, 'curves.svg'), svg);
  let png: Buffer;
  try {
    png = await svgToPng(svg);
  } catch (error) {
    warn(`note: curves.png not written: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  writeFileAtomic(join(dir, 'curves.png'), png);
}
