// Builds a MobileNeXt and an EfficientNetV2, loads a timm checkpoint and classifies a batch of images.
// Run: pnpm example [path/to/tf_efficientnetv2_b0-10-classes.safetensors]   (from packages/models-efficient)
import * as tf from '@tensorflow/tfjs-core';
import { pathToFileURL } from 'node:url';
import { setupBackend } from '@nextnets/backend';
import { loadStateDict, profile, type ModelOverrides } from '@nextnets/core-layers';
import { readSafetensors } from '@nextnets/core-layers/node';
import { createModel, listModels } from '../src/index.js'; // '@nextnets/models-efficient' outside this repository

export interface QuickstartResult {
  registered: string[];
  top1: number[];
  mobilenextParams: number;
  mobilenextGmacs: number;
}

export async function quickstart(checkpoint?: string, overrides: ModelOverrides = { numClasses: 10 }): Promise<QuickstartResult> {
  await setupBackend('wasm');
  const registered = [...listModels('mobilenext'), ...listModels('efficientnetv2')];

  // EfficientNetV2-B0 (timm's tf_efficientnetv2_b0) with a 10-class head; timm checkpoints load by key name.
  const effnet = createModel('tf_efficientnetv2_b0', overrides);
  if (checkpoint) loadStateDict(effnet, readSafetensors(checkpoint).tensors, { strict: true, source: checkpoint });
  effnet.eval();
  // NHWC float32, already resized and normalised (pretrainedCfg has the size, mean and std).
  const images = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 1234);
  const top1Tensor = tf.tidy(() => tf.argMax(effnet.forward(images), 1));
  const top1 = Array.from(await top1Tensor.data());

  // MobileNeXt-1.0 (ImageNet head): parameters and multiply-accumulates at 224×224.
  const mobilenext = createModel('mobilenext_100');
  const { params, gmacs } = profile(mobilenext, 224);

  [images, top1Tensor].forEach((t) => t.dispose());
  effnet.dispose();
  mobilenext.dispose();
  return { registered, top1, mobilenextParams: params, mobilenextGmacs: gmacs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  quickstart(process.argv[2]).then((r) => console.log(r));
}
