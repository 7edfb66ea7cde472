import { parseBackendChoice, setupBackend, type BackendChoice } from '@nextnets/backend';
import { Command, Option } from 'commander';
import { CliError } from './errors.js';
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

/** Activates the chosen backend; returns its tfjs name. */
export async function activateBackend(choice: BackendChoice): Promise<string> {
  try {
    return await setupBackend(choice);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
