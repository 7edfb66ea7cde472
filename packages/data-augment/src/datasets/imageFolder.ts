import { openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { Uint8Image } from '../image';
import { checkIndex, SampleDecodeError, type Dataset, type DatasetDescriptor, type Sample, type SkippedFile } from './types';

export interface ImageFolderOptions {
  /** 3: decode to RGB (default); 1: decode to grayscale. */
  channels?: 1 | 3;
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

/** Decodes one file to a uint8 HWC image with sharp. */
export async function decodeImageFile(path: string, channels: 1 | 3 = 3): Promise<Uint8Image> {
  try {
    let pipeline = sharp(path, { failOn: 'warning' });
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
    this.classes = entries.filter((name) => !name.startsWith('.') && statSync(join(root, name)).isDirectory());
    if (this.classes.length === 0) throw new Error(`ImageFolder: ${root} has no class sub-folders`);
    this.files = [];
    this.classes.forEach((cls, label) => {
      for (const name of readdirSync(join(root, cls)).sort()) {
        const path = join(root, cls, name);
        if (name.startsWith('.') || !statSync(path).isFile()) continue;
        const problem = EXTENSIONS.has(extname(name).toLowerCase()) ? headerProblem(path) : `unsupported extension "${extname(name)}"`;
        if (problem) this.skipped.push({ path, reason: problem });
        else this.files.push({ path, label });
      }
    });
  }

  /** Scans, then fully decodes every file once and drops those that fail (slower, but no surprises while training). */
  static async verified(root: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
    const folder = new ImageFolder(root, options);
    const good: { path: string; label: number }[] = [];
    for (const file of folder.files) {
      try {
        await decodeImageFile(file.path, folder.channels);
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
        return { image: await decodeImageFile(file.path, descriptor.channels), label: file.label };
      },
    };
    return dataset;
  }

  get length(): number {
    return this.files.length;
  }

  get descriptor(): DatasetDescriptor {
    return { kind: 'imageFolder', root: this.root, channels: this.channels, classes: this.classes, files: this.files };
  }

  async get(index: number): Promise<Sample> {
    checkIndex(index, this.files.length, 'ImageFolder');
    const file = this.files[index];
    try {
      return { image: await decodeImageFile(file.path, this.channels), label: file.label };
    } catch (error) {
      if (error instanceof SampleDecodeError && !this.skipped.some((s) => s.path === file.path)) {
        this.skipped.push({ path: file.path, reason: error.reason });
      }
      throw error;
    }
  }
}
