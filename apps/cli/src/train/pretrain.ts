/**
 * Recipe → engine for `nextnets pretrain`: FCMAE masked-image pre-training of a ConvNeXt-V2 encoder on
 * @nextnets/train's Trainer with the `fcmae` task. The run folder gets what `train` writes (metrics.jsonl, curves,
 * config.yaml, resumable `last/`) plus `last/encoder.safetensors` (the encoder in timm keys, for `finetune --from`)
 * and `reconstructions/epoch-NNN-K.png` after every epoch (original | masked | reconstruction of K fixed images).
 */
import * as tf from '@tensorflow/tfjs-core';
import { manualSeed } from '@nextnets/core-layers';
import { DataLoader } from '@nextnets/data-augment/node';
import { FCMAE, minimalAugment } from '@nextnets/fcmae';
import { createPretrainOptimizer, exportEncoder, writeReconstructionPng } from '@nextnets/fcmae/node';
import { LrScheduler } from '@nextnets/optim';
import type { DataParallel } from '@nextnets/parallel';
import { fcmaeTask, Trainer, type MaskedImageBatch, type ReconstructionSample, type TrainResult } from '@nextnets/train';
import { NodeStorage, svgToPng } from '@nextnets/train/node';
import { stringify as toYaml } from 'yaml';
import { CliError } from '../cli/errors.js';
import { modelChannels } from '../model/build.js';
import { effectiveLr } from '../recipes/overrides.js';
import type { Recipe } from '../recipes/schema.js';
import { evalTransform, meanStd, openData } from './data.js';
import { buildSchedule, warmupStepsFor } from './optimizer.js';
import { parallelEngine } from './engine.js';
import { attachProgress } from './progress.js';
import { inRunFolder, openRunFolder } from './run-folder.js';

/** Images shown in each epoch's reconstruction previews. */
const PREVIEW_IMAGES = 2;

export interface PretrainRunOptions {
  outDir: string;
  resume?: boolean;
  /** Start anew in a non-empty `outDir`, moving the old run aside (`--force`). */
  force?: boolean;
  header?: string[];
  log?: (line: string) => void;
  /** Starts data-parallel replicas of the FCMAE (`--replicas N`), given the model and its factory arguments. */
  replicas?: (model: FCMAE, factoryArgs: FcmaeReplicaArgs) => Promise<DataParallel | undefined>;
}

/** How a worker replica rebuilds the run's FCMAE (see replica.ts). */
export interface FcmaeReplicaArgs {
  kind: 'fcmae';
  encoder: string;
  encoderOverrides: Record<string, unknown>;
  decoderDim: number;
  decoderDepth: number;
  maskRatio: number;
  normPixLoss: boolean;
  patchSize?: number;
}

export function fcmaeArgs(recipe: Recipe): FcmaeReplicaArgs {
  const p = recipe.pretrain;
  if (!p) throw new CliError(`recipe ${recipe.name ?? ''}: a pretrain recipe needs a 'pretrain' section`.replace(' :', ':'));
  return {
    kind: 'fcmae',
    encoder: recipe.model.name,
    encoderOverrides: recipe.model.args,
    decoderDim: p.decoderEmbedDim,
    decoderDepth: p.decoderDepth,
    maskRatio: p.maskRatio,
    normPixLoss: p.normPixLoss,
    patchSize: p.patchSize,
  };
}

export function buildFcmae(args: FcmaeReplicaArgs): FCMAE {
  try {
    return new FCMAE({ ...args, encoderOverrides: args.encoderOverrides });
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
}

/** The first images of a dataset through the eval transform, as one normalised batch. */
async function previewImages(recipe: Recipe, data: ReturnType<typeof openData>): Promise<tf.Tensor4D> {
  const dataset = data.eval.length > 0 ? data.eval : data.train;
  const loader = new DataLoader({ dataset, batchSize: Math.min(PREVIEW_IMAGES, dataset.length), transform: evalTransform(recipe, data.channels, recipe.data.imageSize), workers: 0 });
  try {
    for await (const batch of loader.epoch(0)) {
      tf.dispose([batch.labels, ...(batch.targets ? [batch.targets] : [])]);
      return batch.images;
    }
  } finally {
    await loader.close();
  }
  throw new CliError(`dataset '${recipe.data.dataset}' has no images`);
}

/** Writes one PNG per preview image: original | masked | reconstruction, each file atomically. */
function pngWriter(storage: NodeStorage, recipe: Recipe, channels: number, normPixLoss: boolean) {
  const { mean, std } = meanStd(recipe, channels);
  return async ({ epoch, images, mask, pred }: ReconstructionSample): Promise<void> => {
    for (let i = 0; i < images.shape[0]; i++) {
      const name = `reconstructions/epoch-${String(epoch + 1).padStart(3, '0')}-${i}.png`;
      const [img, m, p] = tf.tidy(() => [tf.slice(images, i, 1), tf.slice(mask, i, 1), tf.slice(pred, i, 1)]);
      try {
        await storage.write(`${name}.tmp`, ''); // creates the folder
        await writeReconstructionPng(storage.path(`${name}.tmp`), img, m, p, { normPixLoss, mean, std, scale: Math.max(1, Math.round(128 / images.shape[1])) });
        await storage.remove(name);
        await storage.rename(`${name}.tmp`, name);
      } finally {
        tf.dispose([img, m, p]);
      }
    }
  };
}

/** Runs (or resumes) FCMAE pre-training as the recipe says. */
export async function runPretraining(recipe: Recipe, options: PretrainRunOptions): Promise<{ result: TrainResult; losses: number[]; lr: number }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const args = fcmaeArgs(recipe);
  const data = openData(recipe, modelChannels(recipe.model.args));
  for (const note of data.notes ?? []) log(note);
  manualSeed(recipe.seed);
  const model = buildFcmae(args);
  const size = recipe.data.imageSize;
  try {
    model.gridSize(size, size);
  } catch (error) {
    throw new CliError(`${(error as Error).message} (set data.imageSize / --image-size to a multiple of ${model.patchSize})`);
  }
  const loader = new DataLoader({
    dataset: data.train,
    batchSize: recipe.train.batchSize,
    shuffle: true,
    seed: recipe.seed,
    dropLast: true,
    workers: recipe.data.workers,
    transform: minimalAugment({ size, scale: recipe.augment.scale, ...meanStd(recipe, data.channels) }),
  });
  if (loader.length === 0) throw new CliError(`dataset has ${data.train.length} images, fewer than one batch of ${recipe.train.batchSize}`);
  const folder = openRunFolder(options.outDir, { resume: options.resume, force: options.force, log });
  let stepped = false;
  return inRunFolder(folder, () => stepped, async () => {
    const storage = new NodeStorage(options.outDir);
    const lr = effectiveLr(recipe);
    const o = recipe.optimizer;
    const optimizer = createPretrainOptimizer(model, { weightDecay: o.weightDecay, betas: o.betas });
    const scheduler = new LrScheduler(buildSchedule(recipe, lr, loader.length));
    const warmupNote = warmupStepsFor(recipe, loader.length).note;
    if (warmupNote && !options.resume) log(warmupNote);
    const preview = await previewImages(recipe, data);
    const parallel = await options.replicas?.(model, args);
    const header = (options.header ?? []).map((l) => `# ${l}\n`).join('');
    const trainer = new Trainer<MaskedImageBatch>({
      task: fcmaeTask(model, {
        preview: { images: preview, write: pngWriter(storage, recipe, data.channels, args.normPixLoss) },
        checkpointFiles: () => ({ 'encoder.safetensors': exportEncoder(model, 0) }),
      }),
      optimizer,
      scheduler,
      train: loader,
      epochs: recipe.schedule.epochs,
      maxSteps: recipe.train.maxSteps,
      seed: recipe.seed,
      clipGrad: o.clipGrad,
      checkpointEvery: recipe.train.checkpointEvery,
      storage,
      resume: options.resume,
      parallel: parallel && parallelEngine(parallel),
      renderPng: svgToPng,
      title: `${recipe.name ?? 'fcmae'} (masked reconstruction loss)`,
      startFiles: { 'config.yaml': `${header}# lr after batch scaling: ${lr}\n${toYaml(recipe)}` },
    });
    attachProgress(trainer, options.outDir, log, () => null);
    trainer.on('epochTrained', ({ epoch, trainLoss }) => log(`epoch ${epoch + 1}: masked reconstruction loss ${trainLoss.toFixed(4)}`));
    const losses: number[] = [];
    trainer.on('step', ({ loss }) => {
      stepped = true;
      losses.push(loss);
    });
    try {
      const result = await trainer.run();
      return { result, losses, lr };
    } finally {
      await parallel?.dispose();
      preview.dispose();
      optimizer.dispose();
    }
  });
}
