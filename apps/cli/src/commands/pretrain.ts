import { join } from 'node:path';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { FCMAE } from '@nextnets/fcmae';
import { createPretrainOptimizer, exportEncoder, pretrain } from '@nextnets/fcmae/node';
import { constant, LrScheduler } from '@nextnets/optim';
import { mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { activateBackend, withCommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { manualSeed } from '@nextnets/core-layers';
import { modelChannels } from '../model/build.js';
import { effectiveLr } from '../recipes/overrides.js';
import { findResumableCheckpoint, readCheckpointState, restoreCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { renderCurves } from '../train/curves.js';
import { writeCurves } from '../train/curves-files.js';
import { openData } from '../train/data.js';
import { MetricsLog, type EpochSummary } from '../train/metrics-log.js';
import { ProgressBar } from '../train/progress.js';
import { resolveRun, withRecipeOptions, type TrainLikeOptions } from './train-options.js';

/**
 * `nextnets pretrain`: FCMAE masked-autoencoder pre-training (spec §3) through @nextnets/fcmae's `pretrain` loop. The run
 * folder gets metrics.jsonl, curves.svg, config.yaml and `last/` after every epoch: `model.safetensors` (the whole FCMAE,
 * for resuming), `encoder.safetensors` (the encoder in timm keys, for `nextnets finetune --from`), optimizer state.
 * Resuming continues from the last completed epoch.
 */
export function pretrainCommand(): Command {
  const command = withRecipeOptions(withCommonOptions(new Command('pretrain').description('FCMAE self-supervised pre-training of a ConvNeXt-V2 encoder'), 'run folder (default runs/<recipe name>)'), 'convnextv2_atto_fcmae');
  return command
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets pretrain --recipe convnextv2_atto_fcmae --data /data/imagenet/train --batch-size 64',
        '  nextnets pretrain --data synthetic --image-size 64 --epochs 2 --batch-size 8 --out runs/fcmae-smoke',
        '  nextnets finetune --recipe convnextv2_atto_finetune --from runs/fcmae-smoke/last/encoder.safetensors --data synthetic',
      ].join('\n'),
    )
    .action(async (opts: TrainLikeOptions) => {
      const run = resolveRun(opts, 'pretrain');
      const { recipe, outDir } = run;
      const p = recipe.pretrain;
      if (!p) throw new CliError(`${run.source}: a pretrain recipe needs a 'pretrain' section`);
      const backend = await activateBackend(opts.backend);
      process.stderr.write(`nextnets pretrain: ${run.source} on ${backend}, output ${outDir}\n`);
      mkdirSync(outDir, { recursive: true });
      const data = openData(recipe, modelChannels(recipe.model.args));
      manualSeed(recipe.seed);
      let model: FCMAE;
      try {
        model = new FCMAE({
          encoder: recipe.model.name,
          encoderOverrides: recipe.model.args,
          decoderDim: p.decoderEmbedDim,
          decoderDepth: p.decoderDepth,
          maskRatio: p.maskRatio,
          normPixLoss: p.normPixLoss,
          patchSize: p.patchSize,
        });
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const o = recipe.optimizer;
      const optimizer = createPretrainOptimizer(model, { weightDecay: o.weightDecay, betas: o.betas });
      const metrics = new MetricsLog(join(outDir, 'metrics.jsonl'));
      let startEpoch = 0;
      let startStep = 0;
      const checkpoint = run.resume ? findResumableCheckpoint(outDir) : undefined;
      if (checkpoint) {
        const state = readCheckpointState(checkpoint);
        restoreCheckpoint(checkpoint, { model, optimizer, scheduler: new LrScheduler(constant({ baseLr: 0 })) }, state);
        startEpoch = state.epoch;
        startStep = state.step;
        metrics.truncateAfter(state.step);
        process.stderr.write(`resuming from ${checkpoint} at epoch ${startEpoch + 1}, step ${startStep}\n`);
      } else {
        metrics.truncateAfter(-1);
        writeFileAtomic(join(outDir, 'config.yaml'), `# nextnets pretrain (recipe ${run.source}, backend ${backend})\n${toYaml(recipe)}`);
      }
      const stepsPerEpoch = Math.floor(data.train.length / recipe.train.batchSize);
      if (stepsPerEpoch === 0) throw new CliError(`dataset has ${data.train.length} images, fewer than one batch of ${recipe.train.batchSize}`);
      let bar: ProgressBar | undefined;
      let barEpoch = -1;
      let last = performance.now();
      const started = performance.now();
      const result = await pretrain({
        model,
        dataset: data.train,
        epochs: recipe.schedule.epochs,
        batchSize: recipe.train.batchSize,
        inputSize: recipe.data.imageSize,
        lr: effectiveLr(recipe),
        minLr: recipe.schedule.minLr,
        warmupEpochs: recipe.schedule.warmupEpochs,
        scale: recipe.augment.scale,
        mean: recipe.data.mean,
        std: recipe.data.std,
        seed: recipe.seed,
        workers: recipe.data.workers,
        maxSteps: recipe.train.maxSteps,
        weightDecay: o.weightDecay,
        betas: o.betas,
        optimizer,
        startEpoch,
        startStep,
        onStep: (info) => {
          if (info.epoch !== barEpoch) {
            bar?.finish();
            bar = new ProgressBar(`epoch ${info.epoch + 1}/${recipe.schedule.epochs}`, stepsPerEpoch);
            barEpoch = info.epoch;
          }
          const now = performance.now();
          const imgPerSec = (recipe.train.batchSize * 1000) / Math.max(now - last, 1e-6);
          last = now;
          bar!.update({ done: info.iteration + 1, loss: info.loss, lr: info.lr, imgPerSec });
          if (bar!.logPoint(info.iteration + 1)) metrics.append({ type: 'train', epoch: info.epoch, step: info.step + 1, loss: info.loss, lr: info.lr, imgPerSec });
        },
        onEpoch: async (info, ctx) => {
          bar?.finish(`epoch ${info.epoch + 1}: masked reconstruction loss ${info.meanLoss.toFixed(4)}`);
          bar = undefined;
          barEpoch = -1;
          const step = ctx.scheduler.position;
          metrics.append({ type: 'epoch', epoch: info.epoch, step, trainLoss: info.meanLoss, lr: ctx.scheduler.lr, seconds: 0 });
          const history = metrics.read().filter((r): r is EpochSummary => r.type === 'epoch');
          await writeCurves(outDir, renderCurves(history, `${recipe.name ?? 'fcmae'} (masked reconstruction loss)`), (line) => process.stderr.write(`${line}\n`));
          saveCheckpoint(
            join(outDir, 'last'),
            { model, optimizer: ctx.optimizer, scheduler: ctx.scheduler },
            { epoch: info.epoch + 1, batchInEpoch: 0, step },
            { seed: recipe.seed, bestTop1: null },
            { 'encoder.safetensors': exportEncoder(model, 0) },
          );
        },
      });
      optimizer.dispose();
      const losses = result.losses;
      const tail = losses.slice(-Math.min(10, losses.length));
      const mean = tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
      process.stdout.write(
        `pre-trained ${losses.length} steps in ${((performance.now() - started) / 1000).toFixed(1)} s (peak lr ${result.lr.toExponential(3)}); ` +
          `mean loss of the last ${tail.length} steps ${mean.toFixed(4)}\nencoder for fine-tuning: ${join(outDir, 'last', 'encoder.safetensors')}\n`,
      );
    });
}
