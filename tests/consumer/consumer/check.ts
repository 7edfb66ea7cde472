// TypeScript consumer, type-checked without Node's types (only tfjs-core's own `long`): the public .d.ts of the
// library packages must not need them.
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { loadStateDict, parseNpy, parseSafetensors, type ImageClassifier } from '@nextnets/core-layers';
import { createModel } from '@nextnets/models-convnext';
import { createModel as createRep } from '@nextnets/models-rep';
import { createModel as createEfficient } from '@nextnets/models-efficient';
import { AdamW } from '@nextnets/optim';

export async function logitsOf(weights: Uint8Array, input: Uint8Array, args: Record<string, unknown>): Promise<Float32Array> {
  await setupBackend('wasm');
  const model: ImageClassifier = createModel('convnext_atto', args).eval();
  loadStateDict(model, parseSafetensors(weights).tensors, { strict: true });
  const x = parseNpy(input);
  const batch = tf.tensor(x.data as Float32Array, x.shape);
  const logits = tf.tidy(() => model.forward(tf.transpose(batch, [0, 2, 3, 1])));
  return logits.dataSync() as Float32Array;
}

export const others: ImageClassifier[] = [createRep('repvgg_a0'), createEfficient('tf_efficientnetv2_b0')];
export const optimizerName: string = AdamW.name;
