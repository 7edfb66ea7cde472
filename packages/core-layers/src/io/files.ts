/** Node.js file wrappers around the pure codecs; every error is one line naming the path. */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseNpy, serializeNpy, type NpyArray, type NpyData } from './npy';
import { parseSafetensors, serializeSafetensors, type SafetensorsContents, type TensorData } from './safetensors';
import { ioError } from './util';

function readBytes(path: string): Uint8Array {
  try {
    const buffer = readFileSync(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (err) {
    throw ioError(path, `cannot read file (${(err as Error).message})`);
  }
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
    rmSync(temporary, { force: true });
    throw ioError(path, `cannot write file (${(err as Error).message})`);
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
