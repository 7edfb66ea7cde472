// FCMAE pre-training of a tiny ConvNeXt-V2 on synthetic shapes, a reconstruction PNG, export to a timm-keyed
// classifier checkpoint, and layer-decay fine-tuning.
// Run: pnpm example [outDir]   (from packages/fcmae; writes reconstruction.png and encoder.safetensors)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { Rng, createModel, manualSeed } from '@nextnets/core-layers';
import { loadSafetensors } from '@nextnets/core-layers/node';
import { Rng as AugmentRng, SyntheticShapes, normalize } from '@nextnets/data-augment';
import { FCMAE } from '../src/index.js'; // '@nextnets/fcmae' outside this repository
import { finetune, pretrain, saveEncoderCheckpoint, writeReconstructionPng } from '../src/node.js'; // '@nextnets/fcmae/node'

export interface QuickstartResult {
  pretrainLosses: number[];
  finetuneLosses: number[];
  pngSize: { width: number; height: number };
}

export async function quickstart(outDir: string, epochs = 4): Promise<QuickstartResult> {
  await setupBackend('wasm');
  manualSeed(0);
  mkdirSync(outDir, { recursive: true });
  // convnextv2_atto shrunk to 2 stages (stem 4 × 1 downsample → patch 8) so it runs in seconds on a CPU.
  const encoderOverrides = { depths: [1, 1], dims: [16, 32] };
  const fcmae = new FCMAE({ encoder: 'convnextv2_atto', encoderOverrides, decoderDim: 64, maskRatio: 0.6 });
  const shapes = new SyntheticShapes({ numClasses: 6, size: 32, count: 64, seed: 1 });

  const { losses: pretrainLosses } = await pretrain({
    model: fcmae,
    dataset: shapes,
    epochs,
    batchSize: 16,
    inputSize: 32,
    blr: 0.016, // lr = blr·16/256 = 1e-3
    warmupEpochs: 1,
    onEpoch: ({ epoch, meanLoss }) => console.log(`pretrain epoch ${epoch}: loss ${meanLoss.toFixed(3)}`),
  });

  // One sample: original | masked | reconstruction.
  const { image } = await shapes.get(0);
  const normalized = normalize().apply(image, new AugmentRng(0)); // float32 HWC
  const x = tf.tensor4d(normalized.data, [1, 32, 32, 3]);
  fcmae.eval();
  const { loss, pred, mask } = fcmae.run(x, fcmae.randomMask(1, 32, 32, new Rng(7)));
  const pngSize = await writeReconstructionPng(join(outDir, 'reconstruction.png'), x, mask, pred, { scale: 4 });
  tf.dispose([x, loss, pred, mask]);

  // Hand-off: the encoder as a convnextv2_atto checkpoint (timm keys, fresh head), loaded strictly, then fine-tuned.
  const checkpoint = join(outDir, 'encoder.safetensors');
  saveEncoderCheckpoint(fcmae, checkpoint, 6);
  const classifier = createModel('convnextv2_atto', { numClasses: 6, ...encoderOverrides });
  loadSafetensors(classifier, checkpoint, { strict: true });
  const finetuneLosses = await finetune({
    model: classifier,
    dataset: shapes,
    epochs,
    batchSize: 16,
    inputSize: 32,
    lr: 5e-3,
    layerDecay: 0.9,
    onEpoch: ({ epoch, meanLoss }) => console.log(`finetune epoch ${epoch}: loss ${meanLoss.toFixed(3)}`),
  });
  fcmae.dispose();
  classifier.dispose();
  return { pretrainLosses, finetuneLosses, pngSize };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await quickstart(process.argv[2] ?? 'fcmae-out');
}
