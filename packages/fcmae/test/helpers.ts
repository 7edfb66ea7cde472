import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { Rng } from '@nextnets/core-layers';
import { FCMAE, type FcmaeOptions } from '../src/index.js';

/** wasm is the product's default backend; every test runs on it. */
export async function useWasm(): Promise<void> {
  await setupBackend('wasm');
}

/** Encoder overrides of the tiny 2-stage model used in most tests: stem 4 × one downsample = patch 8. */
export const TINY_ENCODER = { depths: [1, 1], dims: [16, 32] };

/** A tiny FCMAE (patch 8, 32×32 inputs → 4×4 grid, decoder width 32). */
export function tinyFcmae(opts: FcmaeOptions = {}): FCMAE {
  return new FCMAE({ encoderOverrides: TINY_ENCODER, decoderDim: 32, ...opts });
}

/** Deterministic N(0, 1) values. */
export function seededNormal(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return tf.tensor(data, shape);
}

/** Gives every GRN non-zero parameters so that its global statistics matter (at init GRN is the identity). */
export function activateGrn(model: FCMAE, seed: number): void {
  model.namedParameters().forEach(([name, p], i) => {
    if (/grn\.(weight|bias)$/.test(name)) tf.tidy(() => p.variable.assign(tf.mul(seededNormal(p.variable.shape, seed + i), 0.5)));
  });
}

/** Population standard deviation of a tensor's values. */
export function stdOf(t: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]));
}
