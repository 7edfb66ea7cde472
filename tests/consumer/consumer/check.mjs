// ESM consumer: builds convnext_atto from the registry, loads the fixture's timm weights, compares logits.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { loadStateDict, parseNpy, parseSafetensors } from '@nextnets/core-layers';
import { createModel } from '@nextnets/models-convnext';

const args = JSON.parse(readFileSync('fixture/manifest.json', 'utf8')).model_args;
await setupBackend('wasm');
const model = createModel('convnext_atto', args).eval();
loadStateDict(model, parseSafetensors(readFileSync('fixture/weights.safetensors')).tensors, { strict: true });
const input = parseNpy(readFileSync('fixture/input.npy'));
const reference = parseNpy(readFileSync('fixture/logits.npy')).data;
const logits = tf.tidy(() => model.forward(tf.transpose(tf.tensor(input.data, input.shape), [0, 2, 3, 1])).dataSync());
let diff = 0;
let scale = 0;
logits.forEach((v, i) => {
  diff = Math.max(diff, Math.abs(v - reference[i]));
  scale = Math.max(scale, Math.abs(reference[i]));
});
if (!(diff / scale <= 1e-4)) throw new Error(`ESM: logits differ from PyTorch by ${diff / scale}`);
console.log(`ESM ok: ${tf.getBackend()}, relative error ${(diff / scale).toExponential(2)}`);
