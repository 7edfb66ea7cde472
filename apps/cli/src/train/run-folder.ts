/**
 * The run folder of train/finetune/pretrain: one run per folder. A new run refuses a folder that holds files (another
 * run's last/, best/, summary.json would mix with its own) unless `--force` moves them aside; a folder another live
 * process trains in is refused ("X is in use by pid N"); and a run that fails before its first step removes the folder
 * it made, so no half-made run is left.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { lockRunFolder, RUN_LOCK, runFolderOwner } from '@nextnets/train/node';
import { checkOutputDir } from '../cli/common.js';
import { CliError } from '../cli/errors.js';

export interface RunFolderOptions {
  /** Continue the run in the folder (it must hold one). */
  resume?: boolean;
  /** Start a new run even in a non-empty folder, moving its files aside to `<dir>.old-<time>`. */
  force?: boolean;
}

function holdsFiles(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((name) => name !== RUN_LOCK);
}

/** Checks, before anything is computed or created, that a run may use `dir`; throws one line when it may not. */
export function checkRunFolder(dir: string, options: RunFolderOptions): void {
  checkOutputDir(dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`--out ${dir} is a file, not a folder`);
  const owner = runFolderOwner(dir);
  if (owner !== undefined) throw new CliError(`${dir} is in use by pid ${owner}`);
  if (!options.resume && !options.force && holdsFiles(dir)) {
    throw new CliError(`${dir} already holds files (another run?): continue it with --resume ${dir}, or give --force to move them aside`);
  }
}

export interface RunFolder {
  /** Gives the lock back (also done at exit). */
  release(): void;
  /** Releases the lock and removes the folder when this run created it (a run that failed before its first step). */
  abandon(): void;
}

/** Takes `dir` for a run: checks it, moves an old run aside under `force` (said in one line), takes the lock. */
export function openRunFolder(dir: string, options: RunFolderOptions & { log: (line: string) => void; now?: Date }): RunFolder {
  checkRunFolder(dir, options);
  if (!options.resume && holdsFiles(dir)) {
    const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const aside = `${dir.replace(/[/\\]+$/, '')}.old-${stamp}`;
    renameSync(dir, aside);
    options.log(`--force: moved the old run in ${dir} aside to ${aside}`);
  }
  const created = !existsSync(dir);
  let release: () => void;
  try {
    release = lockRunFolder(dir);
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
  return {
    release,
    abandon() {
      release();
      if (created) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `train` in a taken run folder: released at the end, removed when `train` fails before its first step. */
export async function inRunFolder<T>(folder: RunFolder, stepped: () => boolean, train: () => Promise<T>): Promise<T> {
  try {
    return await train();
  } catch (error) {
    if (!stepped()) folder.abandon();
    throw error;
  } finally {
    folder.release();
  }
}
