import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseBackendChoice, setupBackend, type BackendChoice } from '@nextnets/backend';
import { Command, Option } from 'commander';
import { CliError } from './errors.js';
import { enableNativeGemm } from './native.js';
import { parseInteger } from './parse.js';

/** Options every command accepts. */
export interface CommonOptions {
  backend: BackendChoice;
  seed?: number;
  out?: string;
  debug?: boolean;
}

/** Adds `--backend`, `--seed`, `--out`, `--debug` to a command. */
export function withCommonOptions(command: Command, outHelp = 'output folder'): Command {
  return command
    .addOption(
      new Option('--backend <name>', 'tfjs backend: auto|wasm|tensorflow|tensorflow-gpu|cpu').default('wasm').argParser((v) => {
        try {
          return parseBackendChoice(v);
        } catch (error) {
          throw new CliError((error as Error).message);
        }
      }),
    )
    .option('--seed <n>', 'random seed', parseInteger('--seed'))
    .option('--out <dir>', outHelp)
    .option('--debug', 'show stack traces on errors');
}

/** Activates the chosen backend (on wasm with OpenBLAS GEMMs where @nextnets/backend-native is built); returns its tfjs name. */
export async function activateBackend(choice: BackendChoice): Promise<string> {
  let name: string;
  try {
    name = await setupBackend(choice);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  enableNativeGemm(name);
  return name;
}

/** The nearest existing ancestor of `path` (itself when it exists). */
function nearestExisting(path: string): string {
  let current = resolve(path);
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/**
 * Checks, before any computing, that `dir` can be used as an output folder: it is a folder or can be created under a
 * writable one. Nothing is created here, so a command that fails later leaves no empty folder behind.
 */
export function checkOutputDir(dir: string, option = '--out'): void {
  const existing = nearestExisting(dir);
  if (!statSync(existing).isDirectory()) {
    throw new CliError(`${option} ${dir}: ${existing} is a file, not a folder`);
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    throw new CliError(`${option} ${dir}: ${existing} is not writable`);
  }
}

/** Checks, before any computing, that `file` can be written: not a folder, and its folder exists and is writable. */
export function checkOutputFile(file: string, option: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) throw new CliError(`${option} ${file} is a folder; give a file path`);
  const parent = dirname(resolve(file));
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new CliError(`${option} ${file}: folder ${dirname(file)} does not exist`);
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    throw new CliError(`${option} ${file}: folder ${dirname(file)} is not writable`);
  }
}
