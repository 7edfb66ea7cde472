/** One run per folder: `lockRunFolder` refuses a folder a live process trains in and takes over a stale lock. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockRunFolder, runFolderOwner } from '../src/node';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempRun(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'nextnets-lock-')), 'run');
  dirs.push(dir);
  return dir;
}

describe('lockRunFolder', () => {
  it('gives the folder to one run at a time: the second gets "X is in use by pid N"', () => {
    const dir = tempRun();
    const release = lockRunFolder(dir);
    expect(readFileSync(join(dir, '.lock'), 'utf8').trim()).toBe(String(process.pid));
    expect(runFolderOwner(dir)).toBe(process.pid);
    expect(() => lockRunFolder(dir)).toThrow(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by pid ${process.pid}$`));
    release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    expect(runFolderOwner(dir)).toBeUndefined();
    lockRunFolder(dir)();
  });

  it('takes over a lock whose process is gone (a killed run)', () => {
    const dir = tempRun();
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    lockRunFolder(dir)();
    writeFileSync(join(dir, '.lock'), `${gone}\n`);
    expect(runFolderOwner(dir)).toBeUndefined();
    const release = lockRunFolder(dir);
    expect(readFileSync(join(dir, '.lock'), 'utf8').trim()).toBe(String(process.pid));
    release();
  });
});
