/**
 * `@nextnets/train/node`: the Node-only parts of the engine — run folders on the filesystem (`NodeStorage`) and
 * curves.png through sharp (`svgToPng`). The main entry stays browser-safe.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import sharp from 'sharp';
import type { TrainStorage } from './storage.js';

/** A run folder on disk: files are written atomically (temporary file + rename), folders created as needed. */
export class NodeStorage implements TrainStorage {
  constructor(readonly location: string) {
    mkdirSync(location, { recursive: true });
  }

  /** Absolute (or cwd-relative) filesystem path of a stored path. */
  path(path: string): string {
    return join(this.location, path);
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    const file = this.path(path);
    return existsSync(file) ? new Uint8Array(readFileSync(file)) : undefined;
  }

  async write(path: string, data: Uint8Array | string): Promise<void> {
    const file = this.path(path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, data);
  }

  async append(path: string, text: string): Promise<void> {
    const file = this.path(path);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, text);
  }

  async exists(path: string): Promise<boolean> {
    return existsSync(this.path(path));
  }

  async remove(path: string): Promise<void> {
    rmSync(this.path(path), { recursive: true, force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    mkdirSync(dirname(this.path(to)), { recursive: true });
    renameSync(this.path(from), this.path(to));
  }
}

/** 144 dpi: twice sharp's default 72 (one pixel per SVG unit), so the PNG stays sharp on high-density screens. */
const PNG_DENSITY = 144;

/** Rasterises an SVG document (e.g. curves.svg) to PNG bytes with sharp (librsvg). */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  return sharp(Buffer.from(svg), { density: PNG_DENSITY }).png({ compressionLevel: 9 }).toBuffer();
}
