import { join } from 'node:path';
import { Command } from 'commander';
import { activateBackend, withCommonOptions } from '../cli/common.js';
import { startReplicas } from '../train/replicas.js';
import { runPretraining } from '../train/pretrain.js';
import { resolveRun, withRecipeOptions, withReplicasOption, type TrainLikeOptions } from './train-options.js';

/**
 * `nextnets pretrain`: FCMAE masked-autoencoder pre-training of a ConvNeXt-V2 encoder on @nextnets/train (see
 * train/pretrain.ts for what the run folder holds). `--resume` continues from `last/`, mid-epoch included.
 */
export function pretrainCommand(): Command {
  const command = withReplicasOption(
    withRecipeOptions(withCommonOptions(new Command('pretrain').description('FCMAE self-supervised pre-training of a ConvNeXt-V2 encoder'), 'run folder (default runs/<recipe name>)'), 'convnextv2_atto_fcmae'),
  );
  return command
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets pretrain --recipe convnextv2_atto_fcmae --data /data/imagenet/train --batch-size 64',
        '  nextnets pretrain --data synthetic --image-size 64 --epochs 2 --batch-size 8 --out runs/fcmae-smoke',
        '  nextnets pretrain --data synthetic --image-size 64 --epochs 2 --batch-size 8 --replicas 2 --out runs/fcmae-2',
        '  nextnets finetune --recipe convnextv2_atto_finetune --from runs/fcmae-smoke/last/encoder.safetensors --data synthetic',
      ].join('\n'),
    )
    .action(async (opts: TrainLikeOptions) => {
      const run = resolveRun(opts, 'pretrain');
      const backend = await activateBackend(opts.backend);
      process.stderr.write(`nextnets pretrain: ${run.source} on ${backend}, output ${run.outDir}\n`);
      const started = performance.now();
      const { result, losses, lr } = await runPretraining(run.recipe, {
        outDir: run.outDir,
        resume: run.resume,
        header: [`nextnets pretrain (recipe ${run.source}, backend ${backend})`],
        replicas: (model, factoryArgs) => startReplicas(model, opts.replicas ?? 1, factoryArgs),
      });
      const tail = losses.slice(-Math.min(10, losses.length));
      const mean = tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
      process.stdout.write(
        `pre-trained ${result.steps} steps (${result.epochs} epochs) in ${((performance.now() - started) / 1000).toFixed(1)} s (peak lr ${lr.toExponential(3)}); ` +
          `mean loss of the last ${tail.length} steps ${mean.toFixed(4)}\nencoder for fine-tuning: ${join(run.outDir, 'last', 'encoder.safetensors')}\n`,
      );
    });
}
