import { openSync, readSync, closeSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import sharp from 'sharp';
import type { Uint8Image } from '../image';
import { checkIndex, SampleDecodeError, type Dataset, type DatasetDescriptor, type Sample, type SkippedFile } from './types';

export interface ImageFolderOptions {
  /** 3: decode to RGB (default); 1: decode to grayscale. */
  channels?: 1 | 3;
  /**
   * The class list to label by, e.g. the training folder's classes when opening its validation folder: labels are
   * matched by name (not by position), and a sub-folder whose name is not in the list is an error. The folder may
   * lack some of the classes. Without it the classes are the sorted sub-folder names and there must be at least 2.
   */
  classes?: string[];
  /** Images whose header declares more pixels than this are refused before decoding (see {@link maxImagePixels}). */
  maxPixels?: number;
}

/** Default limit on width x height of a decoded image: 40 megapixels (about 120 MB as RGB bytes). */
export const DEFAULT_MAX_IMAGE_PIXELS = 40_000_000;

/** The pixel limit in force: the `NEXTNETS_MAX_IMAGE_PIXELS` environment variable when set, else 40 megapixels. */
export function maxImagePixels(): number {
  const env = typeof process === 'undefined' ? undefined : process.env.NEXTNETS_MAX_IMAGE_PIXELS;
  if (env === undefined || env === '') return DEFAULT_MAX_IMAGE_PIXELS;
  const value = Number(env);
  if (!(Number.isSafeInteger(value) && value > 0)) throw new Error(`NEXTNETS_MAX_IMAGE_PIXELS must be a positive integer, got ${JSON.stringify(env)}`);
  return value;
}

/** One line about skipped files: the count and the first few names with their reasons; undefined when none. */
export function describeSkipped(skipped: readonly SkippedFile[], where: string, shown = 3): string | undefined {
  if (skipped.length === 0) return undefined;
  const first = skipped.slice(0, shown).map((s) => `${s.path} (${s.reason})`).join(', ');
  const more = skipped.length > shown ? `, and ${skipped.length - shown} more` : '';
  return `skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'} in ${where}: ${first}${more}`;
}

const EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** Checks the leading bytes for a JPEG, PNG or WebP signature; returns the problem or undefined. */
function headerProblem(path: string): string | undefined {
  const header = Buffer.alloc(12);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const read = readSync(fd, header, 0, 12, 0);
    if (read < 12) return `file too short (${read} bytes)`;
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const jpeg = header[0] === 0xff && header[1] === 0xd8 && header[2] === 0xff;
  const png = header.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const webp = header.toString('latin1', 0, 4) === 'RIFF' && header.toString('latin1', 8, 12) === 'WEBP';
  return jpeg || png || webp ? undefined : 'not a JPEG, PNG or WebP file (bad signature)';
}

const pixelCount = (n: number) => (n >= 100_000 ? `${(n / 1e6).toFixed(1)} megapixels` : `${n} pixels`);

/**
 * Decodes one file to a uint8 HWC image with sharp. The header is read first (sharp's `metadata()`), and an image of
 * more than `maxPixels` pixels is refused before any pixel is decoded: a 750 KB PNG can declare 16000x16000 (1 GB).
 */
export async function decodeImageFile(path: string, channels: 1 | 3 = 3, maxPixels = maxImagePixels()): Promise<Uint8Image> {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new SampleDecodeError(path, (error as Error).message.split('\n')[0]);
  }
  if (!stats.isFile()) throw new SampleDecodeError(path, 'not a regular file');
  let header;
  try {
    header = await sharp(path).metadata();
  } catch (error) {
    throw new SampleDecodeError(path, (error as Error).message.split('\n')[0]);
  }
  const pixels = (header.width ?? 0) * (header.height ?? 0);
  if (pixels > maxPixels) {
    throw new SampleDecodeError(
      path,
      `image is ${header.width}x${header.height} (${pixelCount(pixels)}), over the limit of ${pixelCount(maxPixels)} (NEXTNETS_MAX_IMAGE_PIXELS)`,
    );
  }
  try {
    let pipeline = sharp(path, { failOn: 'warning', limitInputPixels: maxPixels });
    pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.removeAlpha().toColourspace('srgb');
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoded to ${info.channels} channels, expected ${channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), height: info.height, width: info.width, channels };
  } catch (error) {
    throw new SampleDecodeError(path, (error as Error).message.split('\n')[0]);
  }
}

/**
 * torchvision-style ImageFolder: `root/<class>/<image>`; classes are the sorted sub-folder names. Files with a bad
 * signature are skipped at scan time, files that fail to decode are skipped when read (see `skipped`).
 */
export class ImageFolder implements Dataset {
  readonly classes: string[];
  readonly files: { path: string; label: number }[];
  readonly skipped: SkippedFile[] = [];
  readonly channels: 1 | 3;
  readonly maxPixels?: number;

  constructor(
    readonly root: string,
    options: ImageFolderOptions = {},
  ) {
    this.channels = options.channels ?? 3;
    let entries: string[];
    try {
      entries = readdirSync(root).sort();
    } catch (error) {
      throw new Error(`ImageFolder: cannot read directory ${root}: ${(error as Error).message}`);
    }
    const isDirectory = (path: string) => {
      try {
        return statSync(path).isDirectory();
      } catch {
        return false;
      }
    };
    const folders = entries.filter((name) => !name.startsWith('.') && isDirectory(join(root, name)));
    if (folders.length === 0) throw new Error(`ImageFolder: ${root} has no class sub-folders`);
    this.maxPixels = options.maxPixels;
    if (options.classes) {
      const unknown = folders.find((name) => !options.classes!.includes(name));
      if (unknown !== undefined) {
        throw new Error(`ImageFolder: class '${unknown}' in ${root} is not one of the ${options.classes.length} known classes (${options.classes.join(', ')})`);
      }
      this.classes = [...options.classes];
    } else {
      if (folders.length < 2) throw new Error(`ImageFolder: ${root} has only one class sub-folder ('${folders[0]}'); classification needs at least 2`);
      this.classes = folders;
    }
    this.files = [];
    for (const cls of folders) {
      const label = this.classes.indexOf(cls);
      let count = 0;
      for (const name of readdirSync(join(root, cls)).sort()) {
        const path = join(root, cls, name);
        if (name.startsWith('.')) continue;
        let stats;
        try {
          stats = statSync(path);
        } catch (error) {
          // a dangling symlink (or a file removed while scanning) is skipped and reported, not fatal
          const dangling = lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink();
          this.skipped.push({ path, reason: dangling ? 'dangling symlink' : `unreadable: ${(error as Error).message.split('\n')[0]}` });
          continue;
        }
        if (stats.isDirectory()) continue;
        const problem = !stats.isFile()
          ? 'not a regular file'
          : EXTENSIONS.has(extname(name).toLowerCase())
            ? headerProblem(path)
            : `unsupported extension "${extname(name)}"`;
        if (problem) this.skipped.push({ path, reason: problem });
        else {
          this.files.push({ path, label });
          count++;
        }
      }
      if (count === 0) {
        const why = describeSkipped(this.skipped.filter((s) => s.path.startsWith(join(root, cls) + sep)), join(root, cls));
        throw new Error(`ImageFolder: class '${cls}' in ${root} has no readable image${why ? ` (${why})` : ''}`);
      }
    }
  }

  /** Scans, then fully decodes every file once and drops those that fail (slower, but no surprises while training). */
  static async verified(root: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
    const folder = new ImageFolder(root, options);
    const good: { path: string; label: number }[] = [];
    for (const file of folder.files) {
      try {
        await decodeImageFile(file.path, folder.channels, folder.maxPixels);
        good.push(file);
      } catch (error) {
        folder.skipped.push({ path: file.path, reason: (error as SampleDecodeError).reason });
      }
    }
    folder.files.splice(0, folder.files.length, ...good);
    return folder;
  }

  /** Rebuilds from a descriptor without rescanning. */
  static fromDescriptor(descriptor: Extract<DatasetDescriptor, { kind: 'imageFolder' }>): Dataset {
    const dataset: Dataset = {
      length: descriptor.files.length,
      classes: descriptor.classes,
      descriptor,
      get: async (index) => {
        checkIndex(index, descriptor.files.length, 'ImageFolder');
        const file = descriptor.files[index];
        return { image: await decodeImageFile(file.path, descriptor.channels, descriptor.maxPixels), label: file.label };
      },
    };
    return dataset;
  }

  get length(): number {
    return this.files.length;
  }

  get descriptor(): DatasetDescriptor {
    return { kind: 'imageFolder', root: this.root, channels: this.channels, classes: this.classes, files: this.files, maxPixels: this.maxPixels };
  }

  async get(index: number): Promise<Sample> {
    checkIndex(index, this.files.length, 'ImageFolder');
    const file = this.files[index];
    try {
      return { image: await decodeImageFile(file.path, this.channels, this.maxPixels), label: file.label };
    } catch (error) {
      if (error instanceof SampleDecodeError && !this.skipped.some((s) => s.path === file.path)) {
        this.skipped.push({ path: file.path, reason: error.reason });
      }
      throw error;
    }
  }
}
