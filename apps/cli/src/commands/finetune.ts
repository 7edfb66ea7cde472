import { Command } from 'commander';
import { activateBackend, withCommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { locateCheckpoint, readWeights } from '../model/checkpoint-files.js';
import { loadForFinetune } from '../model/finetune-init.js';
import { fetchPretrained, PRETRAINED_HELP } from '../model/weights-source.js';
import { startReplicas } from '../train/replicas.js';
import { createTrainingSetup, modelArgsFor } from '../train/setup.js';
import { runTraining } from '../train/engine.js';
import { printResult } from './train.js';
import { resolveRun, withRecipeOptions, withReplicasOption, type TrainLikeOptions } from './train-options.js';

interface FinetuneOptions extends TrainLikeOptions {
  from?: string;
  pretrained?: string | true;
  allowPartial?: boolean;
}

export function finetuneCommand(): Command {
  const command = withReplicasOption(
    withRecipeOptions(withCommonOptions(new Command('finetune').description('fine-tune from a checkpoint: lenient load, classifier re-init, layer-wise lr decay'), 'run folder (default runs/<recipe name>)')),
  );
  return command
    .option('--from <checkpoint>', 'pre-trained weights: a timm-key .safetensors file or a run checkpoint folder')
    .option('--pretrained [ref]', `instead of --from: ${PRETRAINED_HELP}`)
    .option('--allow-partial', 'fine-tune even when some backbone tensors of --from do not load (they stay randomly initialised)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets finetune --recipe convnextv2_atto_finetune --from runs/convnextv2_atto_fcmae/last --data /data/imagenette',
        '  nextnets finetune --recipe convnextv2_atto_finetune --from convnextv2_atto.fcmae.safetensors --data fashion-mnist --epochs 5',
        '  nextnets finetune --recipe convnextv2_atto_finetune --pretrained --data /data/imagenette   # timm/convnextv2_atto.fcmae_ft_in1k',
        '  nextnets finetune --resume runs/convnextv2_atto_finetune',
      ].join('\n'),
    )
    .action(async (opts: FinetuneOptions) => {
      const run = resolveRun(opts, 'finetune');
      if (opts.from && opts.pretrained !== undefined) throw new CliError('give either --from or --pretrained, not both');
      if (!run.resume && !opts.from && opts.pretrained === undefined) throw new CliError('finetune needs --from CHECKPOINT or --pretrained [REF] (or --resume DIR)');
      // hub weights are fetched before the (synchronous) model set-up that loads them
      const hub = !run.resume && opts.pretrained !== undefined ? await fetchPretrained(opts.pretrained, run.recipe.model.name) : undefined;
      const backend = await activateBackend(opts.backend);
      process.stderr.write(`nextnets finetune: ${run.source} on ${backend}, output ${run.outDir}\n`);
      const headInitStd = run.recipe.finetune?.headInitStd ?? 2e-5;
      const setup = createTrainingSetup(run.recipe, (model) => {
        if (run.resume || (!opts.from && !hub)) return;
        let path: string;
        let tensors;
        if (hub) {
          path = hub.source;
          tensors = hub.tensors;
        } else {
          const files = locateCheckpoint(opts.from!);
          path = run.recipe.finetune?.useEma && files.ema ? files.ema : files.weights;
          tensors = readWeights(path);
        }
        const report = loadForFinetune(model, tensors, path, headInitStd, opts.allowPartial);
        const dropped = report.droppedShape.length > 0 ? `, dropped (shape differs): ${report.droppedShape.join(', ')}` : '';
        const missing = report.missing.length > 0 ? `, not in checkpoint: ${report.missing.length} (first ${report.missing[0]})` : '';
        const unused = report.unexpected.length > 0 ? `, unused: ${report.unexpected.length}` : '';
        process.stderr.write(`loaded ${report.loaded} tensors from ${path}${dropped}${missing}${unused}; re-initialised ${report.head.join(', ')}\n`);
      });
      const parallel = await startReplicas(setup.model, opts.replicas ?? 1, { name: run.recipe.model.name, args: modelArgsFor(run.recipe, setup.data.classes.length) });
      try {
        const header = [`nextnets finetune (recipe ${run.source}, from ${opts.from ?? hub?.source ?? '-'}, backend ${backend})`];
        printResult(await runTraining(setup, { outDir: run.outDir, resume: run.resume, parallel, header }), setup.data.evalName, run.outDir);
      } finally {
        await parallel?.dispose();
      }
    });
}
