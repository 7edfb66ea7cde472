import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeSafetensors } from '../../src/io';
import { readNpy, readRegularFile, readSafetensors, writeFileAtomic, writeNpy, writeSafetensorsAtomic } from '../../src/node';
import { expectOneLineError, expectSameBytes } from './helpers';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nextnets-io-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('file wrappers', () => {
  it('writeSafetensorsAtomic writes exactly serializeSafetensors output, readable back, leaving no temp file', () => {
    const path = join(dir, 'ckpt.safetensors');
    const tensors = new Map([['w', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }]]);
    writeFileSync(path, 'old contents');
    writeSafetensorsAtomic(path, tensors, { step: '10' });
    expectSameBytes(new Uint8Array(readFileSync(path)), serializeSafetensors(tensors, { step: '10' }));
    const read = readSafetensors(path);
    expect(read.metadata).toEqual({ format: 'pt', step: '10' });
    expect(Array.from(read.tensors.get('w')?.data ?? [])).toEqual([1, 2, 3, 4]);
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('writeFileAtomic writes strings and bytes', () => {
    writeFileAtomic(join(dir, 'a.json'), '{"epoch": 3}\n');
    writeFileAtomic(join(dir, 'b.bin'), new Uint8Array([1, 2, 3]).subarray(1));
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"epoch": 3}\n');
    expect(Array.from(readFileSync(join(dir, 'b.bin')))).toEqual([2, 3]);
  });

  it('keeps the previous file and cleans up when the write fails', () => {
    const path = join(dir, 'ckpt.safetensors');
    writeFileSync(path, 'previous');
    // Serialization errors happen before anything touches the disk.
    expectOneLineError(() => writeSafetensorsAtomic(path, [['w', { shape: [3], data: new Float32Array(2) }]]), [path, "'w'"]);
    // A rename onto a directory fails after the temp file was written: it must be removed.
    const target = join(dir, 'taken');
    mkdirSync(join(target, 'child'), { recursive: true });
    expectOneLineError(() => writeFileAtomic(target, 'data'), [target, 'cannot write file']);
    expect(readFileSync(path, 'utf8')).toBe('previous');
    expect(readdirSync(dir).sort()).toEqual(['ckpt.safetensors', 'taken']);
    expectOneLineError(() => writeFileAtomic(join(dir, 'missing', 'x.bin'), 'data'), ['missing', 'cannot write file']);
  });

  it('writeNpy / readNpy round-trip and read errors name the path', () => {
    const path = join(dir, 'out.npy');
    writeNpy(path, { shape: [2, 5], data: Float32Array.from({ length: 10 }, (_, i) => i / 3) });
    const array = readNpy(path);
    expect(array.shape).toEqual([2, 5]);
    expect(Array.from(array.data)).toEqual(Array.from({ length: 10 }, (_, i) => Math.fround(i / 3)));
    const missing = join(dir, 'nope.safetensors');
    expectOneLineError(() => readSafetensors(missing), [missing, 'cannot read file', 'ENOENT']);
    writeFileSync(join(dir, 'short.safetensors'), 'abc');
    expectOneLineError(() => readSafetensors(join(dir, 'short.safetensors')), [join(dir, 'short.safetensors'), 'too short']);
    expectOneLineError(() => readNpy(join(dir, 'short.safetensors')), ['short.safetensors', 'not an .npy file']);
  });
});

describe('only regular files are read (issue 23 item 14)', () => {
  it('a FIFO fails at once with one line instead of blocking', () => {
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    expect(() => readSafetensors(fifo)).toThrow(/pipe\.safetensors: not a regular file \(a FIFO\)/);
    expect(() => readNpy(fifo)).toThrow(/not a regular file \(a FIFO\)/);
  });

  it.skipIf(!existsSync('/dev/zero'))('a character device (/dev/zero) is refused before reading', () => {
    expect(() => readSafetensors('/dev/zero')).toThrow(/^\/dev\/zero: not a regular file \(a character device\)/);
  });

  it('a directory and a file over the size limit are refused with one line', () => {
    expect(() => readRegularFile(dir)).toThrow(/not a regular file \(a directory\)/);
    const path = join(dir, 'big.bin');
    writeFileSync(path, new Uint8Array(100));
    expect(() => readRegularFile(path, 99)).toThrow(/big\.bin: file is 100 bytes, over the limit of 99 bytes/);
    expect(readRegularFile(path, 100).length).toBe(100);
  });

  it('writeFileAtomic under a path whose parent is a file names the target, not a temporary file', () => {
    writeFileSync(join(dir, 'plain'), 'x');
    const target = join(dir, 'plain', 'eval.json');
    let message = '';
    try {
      writeFileAtomic(target, '{}');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`${target}: cannot write file (${join(dir, 'plain')} is not an existing directory)`);
    expect(message).not.toMatch(/\.tmp/);
  });
});
