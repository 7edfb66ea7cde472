/**
 * FCMAE masked-image pre-training (ConvNeXt V2, Woo et al. 2023; official `engine_pretrain.py`): a fresh random patch
 * mask per batch and the masked (norm-pix) reconstruction loss. The model is any masked autoencoder with FCMAE's
 * `randomMask`/`loss`/`run` (the `FCMAE` of `@nextnets/fcmae`). Each step's mask derives from (seed, step) alone, so a
 * resumed run and data-parallel replicas (which receive the main thread's mask) see the same masks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, Rng, type Module, type TensorData } from '@nextnets/core-layers';
import type { EpochEndContext, Evaluation, StepContext, Task } from '../task.js';
import type { TrainStorage } from '../storage.js';

export interface MaskedAutoencoder extends Module {
  /** A random mask [N, h, w, 1] (1 = removed) for N images of H×W. */
  randomMask(batch: number, height: number, width: number, rng: { normal(): number }): tf.Tensor4D;
  /** The masked reconstruction loss of images under a mask. */
  loss(images: tf.Tensor, mask: tf.Tensor4D): tf.Scalar;
  /** Loss, predicted patches [N, L, D] and the mask of one pass. */
  run(images: tf.Tensor, mask?: tf.Tensor4D): { loss: tf.Scalar; pred: tf.Tensor3D; mask: tf.Tensor4D };
}

export interface MaskedImageBatch {
  images: tf.Tensor4D;
  labels?: tf.Tensor1D;
  targets?: tf.Tensor2D;
}

/** One epoch's reconstructions, for a preview writer (all tensors are disposed after the call). */
export interface ReconstructionSample {
  epoch: number;
  /** Normalised images [N, H, W, C]. */
  images: tf.Tensor4D;
  mask: tf.Tensor4D;
  pred: tf.Tensor3D;
  storage: TrainStorage;
  log: (line: string) => void;
}

export interface FcmaeTaskOptions {
  /**
   * Reconstruction previews: after each epoch the model reconstructs `images` (fixed, seeded masks) and `write`
   * stores them (`writeReconstructionPngs` of `@nextnets/train/node` writes PNGs).
   */
  preview?: { images: tf.Tensor4D; write: (sample: ReconstructionSample) => Promise<void> };
  /** Extra files in every checkpoint folder (e.g. `encoder.safetensors`, the encoder in timm keys). */
  checkpointFiles?: () => Record<string, Map<string, TensorData>>;
}

/** Seeds the step's mask: independent of the batch order, the replica count and where a run was resumed. */
const MASK_STREAM = 0x6d61736b;

function stepMask(model: MaskedAutoencoder, images: tf.Tensor4D, ctx: StepContext): tf.Tensor4D {
  const [n, h, w] = images.shape;
  return model.randomMask(n, h, w, new Rng(deriveSeed(ctx.seed, ctx.step, MASK_STREAM)));
}

/** The masked-reconstruction loss of one shard (`images`, `mask`): what data-parallel replicas run. */
export function fcmaeShardLoss(model: MaskedAutoencoder, tensors: Record<string, tf.Tensor>): tf.Scalar {
  return model.loss(tensors.images, tensors.mask as tf.Tensor4D);
}

export function fcmaeTask(model: MaskedAutoencoder, options: FcmaeTaskOptions = {}): Task<MaskedImageBatch, Evaluation> {
  const preview = options.preview;
  return {
    name: 'fcmae',
    model,
    batchSize: (batch) => batch.images.shape[0],
    disposeBatch: (batch) => tf.dispose([batch.images, ...(batch.labels ? [batch.labels] : []), ...(batch.targets ? [batch.targets] : [])]),
    loss: (batch, ctx) => fcmaeShardLoss(model, { images: batch.images, mask: stepMask(model, batch.images, ctx) }),
    shard: (batch, ctx) => ({ tensors: { images: batch.images, mask: stepMask(model, batch.images, ctx) } }),
    async evaluate(batches) {
      // the masked loss of held-out images under masks seeded by the batch index (the same masks every epoch)
      const wasTraining = model.training;
      model.eval();
      let sum = 0;
      let count = 0;
      try {
        for await (const batch of batches) {
          const n = batch.images.shape[0];
          const loss = tf.tidy(() => fcmaeShardLoss(model, { images: batch.images, mask: stepMask(model, batch.images, { seed: 0, step: count }) }));
          sum += loss.dataSync()[0] * n;
          count += n;
          tf.dispose(loss);
          tf.dispose([batch.images, ...(batch.labels ? [batch.labels] : []), ...(batch.targets ? [batch.targets] : [])]);
        }
      } finally {
        model.train(wasTraining);
      }
      return { loss: count > 0 ? sum / count : NaN, count, metrics: {} };
    },
    checkpointFiles: options.checkpointFiles,
    epochEnd: preview
      ? async (ctx: EpochEndContext) => {
          const wasTraining = model.training;
          model.eval();
          const { loss, pred, mask } = tf.tidy(() => model.run(preview.images, stepMask(model, preview.images, { seed: 0, step: 0 })));
          loss.dispose();
          model.train(wasTraining);
          try {
            await preview.write({ epoch: ctx.epoch, images: preview.images, mask, pred, storage: ctx.storage, log: ctx.log });
          } finally {
            tf.dispose([pred, mask]);
          }
        }
      : undefined,
  };
}
