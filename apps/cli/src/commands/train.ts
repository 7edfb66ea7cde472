import { loadPretrainedTensors } from '@nextnets/hub/node';
import { Command } from 'commander';
import { activateBackend, withCommonOptions } from '../cli/common.js';
import { CliError, oneLine } from '../cli/errors.js';
import { fetchPretrained, PRETRAINED_HELP } from '../model/weights-source.js';
import { startReplicas } from '../train/replicas.js';
import { createTrainingSetup, modelArgsFor } from '../train/setup.js';
import type { ClassificationEvaluation } from '@nextnets/train';
import { runTraining, type TrainResult } from '../train/engine.js';
import { resolveRun, withRecipeOptions, withReplicasOption, type TrainLikeOptions } from './train-options.js';

/** Prints the final evaluation on stdout (the line the quick-start reports). */
export function printResult(result: TrainResult<ClassificationEvaluation>, evalName: string, outDir: string): void {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [`trained ${result.steps} steps (${result.epochs} epochs) in ${result.seconds.toFixed(1)} s; outputs in ${outDir}`];
  if (result.final) lines.push(`${evalName} accuracy: top-1 ${pct(result.final.top1)}, top-5 ${pct(result.final.top5)}, loss ${result.final.loss.toFixed(4)} (${result.final.count} images)`);
  if (result.finalEma) lines.push(`${evalName} accuracy (EMA weights): top-1 ${pct(result.finalEma.top1)}, top-5 ${pct(result.finalEma.top5)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function trainCommand(): Command {
  const command = withReplicasOption(withRecipeOptions(withCommonOptions(new Command('train').description('train a classifier from a YAML recipe'), 'run folder (default runs/<recipe name>)')));
  return command
    .option('--pretrained [ref]', `initialise the model from ${PRETRAINED_HELP}; a classifier of another size is re-initialised`)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets train --recipe fashion_mnist_quick',
        '  nextnets train --recipe my.yaml --data /data/imagenette --epochs 10 --batch-size 64 --out runs/imnette',
        '  nextnets train --resume runs/imnette',
        '  nextnets train --recipe fashion_mnist_v2_long --replicas 2   # one model replica per core',
        '  nextnets train --recipe my.yaml --model convnext_atto --pretrained --data /data/imagenette',
      ].join('\n'),
    )
    .action(async (opts: TrainLikeOptions & { pretrained?: string | true }) => {
      const run = resolveRun(opts, 'train');
      // fetched before the (synchronous) model set-up; a resumed run has its own weights
      const hub = !run.resume && opts.pretrained !== undefined ? await fetchPretrained(opts.pretrained, run.recipe.model.name) : undefined;
      const backend = await activateBackend(opts.backend);
      process.stderr.write(`nextnets train: ${run.source} on ${backend}, output ${run.outDir}\n`);
      const setup = createTrainingSetup(run.recipe, (model) => {
        if (!hub) return;
        try {
          process.stderr.write(`${loadPretrainedTensors(model, hub.tensors, hub.source).message}\n`);
        } catch (error) {
          throw new CliError(oneLine(error));
        }
      });
      const parallel = await startReplicas(setup.model, opts.replicas ?? 1, { name: run.recipe.model.name, args: modelArgsFor(run.recipe, setup.data.classes.length) });
      try {
        const result = await runTraining(setup, { outDir: run.outDir, resume: run.resume, parallel, header: [`nextnets train (recipe ${run.source}, backend ${backend})`] });
        printResult(result, setup.data.evalName, run.outDir);
      } finally {
        await parallel?.dispose();
      }
    });
}
