import { Command } from 'commander';
import { modelsCommand } from '../commands/models.js';
import { profileCommand } from '../commands/profile.js';
import { trainCommand } from '../commands/train.js';
import { evalCommand } from '../commands/eval.js';
import { predictCommand } from '../commands/predict.js';
import { exportCommand } from '../commands/export.js';
import { finetuneCommand } from '../commands/finetune.js';
import { pretrainCommand } from '../commands/pretrain.js';
import { benchCommand } from '../commands/bench.js';
import { roadmapCommand } from '../commands/roadmap.js';
import { exportRecipeCommand } from '../commands/export-recipe.js';
import { cliVersion } from '../version.js';
import { CliError } from './errors.js';

/** The `nextnets` command with all sub-commands; commander's own errors become CliErrors (one line, exit 1). */
export function buildProgram(): Command {
  const program = new Command('nextnets')
    .description('Modern ConvNets on TensorFlow.js: list, profile, train, fine-tune, evaluate, predict, export, benchmark, rerun the ConvNeXt roadmap')
    .version(cliVersion())
    .exitOverride();
  const commands = [
    modelsCommand(),
    profileCommand(),
    trainCommand(),
    pretrainCommand(),
    finetuneCommand(),
    evalCommand(),
    predictCommand(),
    exportCommand(),
    exportRecipeCommand(),
    benchCommand(),
    roadmapCommand(),
  ];
  for (const command of [program, ...commands]) {
    // commander's own usage errors (unknown option, missing value) in the same one-line form as every other error
    command.exitOverride().configureOutput({
      outputError: (text, write) => write(`nextnets: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    });
  }
  for (const command of commands) program.addCommand(command);
  return program;
}

export { CliError };
