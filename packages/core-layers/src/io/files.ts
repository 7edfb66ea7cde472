/** Node.js file wrappers around the pure codecs; every error is one line naming the path. */
import { randomBytes } from 'node:crypto';
import { type Stats, closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseNpy, serializeNpy, type NpyArray, type NpyData } from './npy';
import { parseSafetensors, serializeSafetensors, type SafetensorsContents, type TensorData } from './safetensors';
import { ioError } from './util';

/** Largest file the readers accept by default (16 GiB, beyond any checkpoint this library builds). */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 ** 3;

/**
 * Reads a whole file, refusing anything that is not a regular file (a device such as /dev/zero, a FIFO, a socket or
 * a directory would read without end or block forever) and files over `maxBytes`; both are checked with `stat`
 * before a byte is read.
 */
export function readRegularFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Uint8Array {
  let stats;
  try {
    stats = statSync(path);
  } catch (err) {
    throw ioError(path, `cannot read file (${(err as Error).message})`);
  }
  if (!stats.isFile()) throw ioError(path, `not a regular file (${fileKind(stats)}); give a file path`);
  if (stats.size > maxBytes) throw ioError(path, `file is ${stats.size} bytes, over the limit of ${maxBytes} bytes`);
  try {
    const buffer = readFileSync(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (err) {
    throw ioError(path, `cannot read file (${(err as Error).message})`);
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

function readBytes(path: string): Uint8Array {
  return readRegularFile(path);
}

/**
 * Writes `data` to `path` atomically: the bytes go to a temporary file in the same directory,
 * are flushed to disk, and the file is then renamed over `path`, so readers see either the old
 * file or the complete new one, never a partial write.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(temporary, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (err) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // the temporary file could not even be created (its folder is missing or a file)
    }
    // name the target and the reason without the temporary file's name (ENOTDIR/ENOENT/ENOSPC on `.x.tmp` is noise)
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOTDIR' || code === 'ENOENT' ? `${dirname(path)} is not an existing directory` : (err as Error).message.split(temporary).join(path);
    throw ioError(path, `cannot write file (${reason})`);
  }
}

/** Reads a `.safetensors` file; see {@link parseSafetensors}. */
export function readSafetensors(path: string): SafetensorsContents {
  return parseSafetensors(readBytes(path), path);
}

/** Serializes float32 tensors (see {@link serializeSafetensors}) and writes them atomically to `path`. */
export function writeSafetensorsAtomic(
  path: string,
  tensors: Iterable<readonly [string, TensorData]>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata, path));
}

/** Reads a `.npy` file; see {@link parseNpy}. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readBytes(path), path);
}

/** Serializes an array to `.npy` v1.0 (see {@link serializeNpy}) and writes it atomically to `path`. */
export function writeNpy(path: string, array: NpyData): void {
  writeFileAtomic(path, serializeNpy(array, path));
}
