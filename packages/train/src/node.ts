/**
 * `@nextnets/train/node`: the Node-only parts of the engine — run folders on the filesystem (`NodeStorage`, the
 * per-folder lock `lockRunFolder`) and curves.png through sharp (`svgToPng`). The main entry stays browser-safe.
 */
import { appendFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** The lock file of a run folder: the pid of the process training in it. */
export const RUN_LOCK = '.lock';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

/** The pid of a live process holding `dir`'s lock, or undefined when the folder is free (no lock, or a stale one). */
export function runFolderOwner(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, RUN_LOCK), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 && pidAlive(pid) ? pid : undefined;
}

/**
 * Takes the exclusive lock of a run folder (creating it): `<dir>/.lock` holds this process's pid, linked into place
 * whole so another process never reads it half-written. A lock whose pid is gone (a killed run) is stale and
 * replaced; a live one is the error "<dir> is in use by pid N". Returns the release function (also run at exit).
 */
export function lockRunFolder(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, RUN_LOCK);
  const tmp = join(dir, `${RUN_LOCK}.${process.pid}`);
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
        const owner = runFolderOwner(dir);
        if (owner !== undefined) throw new Error(`${dir} is in use by pid ${owner}`);
        rmSync(file, { force: true }); // stale: its process is gone
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${dir} is in use by another run (${file})`);
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // already gone (the folder was moved or removed)
    }
  };
  process.on('exit', release);
  return release;
}

/** 144 dpi: twice sharp's default 72 (one pixel per SVG unit), so the PNG stays sharp on high-density screens. */
const PNG_DENSITY = 144;

/** Rasterises an SVG document (e.g. curves.svg) to PNG bytes with sharp (librsvg). */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  return sharp(Buffer.from(svg), { density: PNG_DENSITY }).png({ compressionLevel: 9 }).toBuffer();
}
