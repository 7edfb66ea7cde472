import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadStateDict, profile, stateDict } from '@nextnets/core-layers';
import { readNpy, readSafetensors } from '@nextnets/core-layers/node';
import { createModel, reparameterize } from '../src/index.js';
import { extraDir, relMaxDiff, useWasm, values } from './helpers.js';

useWasm();

const dir = join(extraDir ?? '', 'repvgg_a0');
const npy = (file: string) => readNpy(join(dir, file));

/** NCHW fixture input as an NHWC tensor. */
function fixtureInput(): tf.Tensor4D {
  const x = npy('input.npy');
  return tf.tidy(() => tf.transpose(tf.tensor4d(x.data as Float32Array, x.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

describe('repvgg_a0', () => {
  it.skipIf(!extraDir)('reproduces train-form logits and features, then deploy logits after reparameterize', () => {
    const model = createModel('repvgg_a0', { numClasses: 10 });
    const path = join(dir, 'weights.safetensors');
    loadStateDict(model, readSafetensors(path).tensors, { source: path });
    model.eval();
    expect(model.numParams()).toBe(7_840_778);
    const x = fixtureInput();

    const logits = values(() => model.forward(x));
    const refLogits = npy('logits.npy').data as Float32Array;
    // Logits reach ~2.5e4 (fixtures README): compare relative to max |ref|.
    expect(relMaxDiff(logits, refLogits)).toBeLessThan(1e-4);

    // Features: ours NHWC, reference NCHW → transpose ours.
    const features = values(() => tf.transpose(model.forwardFeatures(x), [0, 3, 1, 2]));
    const refFeatures = npy('features.npy');
    expect(refFeatures.shape).toEqual([2, 1280, 2, 2]);
    expect(relMaxDiff(features, refFeatures.data as Float32Array)).toBeLessThan(1e-4);

    const before = tf.memory().numTensors;
    reparameterize(model);
    expect(model.numParams()).toBe(7_041_194);
    const sd = stateDict(model);
    expect(sd.size).toBe(46);
    expect(sd.get('stem.reparam_conv.weight')!.shape).toEqual([48, 3, 3, 3]);
    expect(sd.get('stages.2.13.reparam_conv.bias')!.shape).toEqual([192]);
    expect([...sd.keys()].every((k) => k.startsWith('head.fc.') || /^(stem|stages\.\d+\.\d+)\.reparam_conv\.(weight|bias)$/.test(k))).toBe(true);
    // 290 train tensors → 46: every branch tensor was freed, one weight + bias per block was added.
    expect(tf.memory().numTensors).toBe(before - 290 + 46);

    const deployLogits = values(() => model.forward(x));
    const refDeploy = npy('logits_deploy.npy').data as Float32Array;
    expect(relMaxDiff(deployLogits, refDeploy)).toBeLessThan(1e-4);

    // The deploy state dict loads (strict) into a model built directly in deploy form and gives the same logits.
    const deployed = createModel('repvgg_a0', { numClasses: 10, deploy: true });
    loadStateDict(deployed, sd, { source: 'deploy state dict' });
    deployed.eval();
    expect(relMaxDiff(values(() => deployed.forward(x)), deployLogits)).toBe(0);
    x.dispose();
    model.dispose();
    deployed.dispose();
  });

  it("GMACs@224 match timm's (train form) and the RepVGG paper's (deploy form)", () => {
    const model = createModel('repvgg_a0', { numClasses: 10 });
    // timm's profiler: 1.5113 GMACs (Conv2d + Linear MACs, 10 classes).
    expect(profile(model, 224).gmacs).toBeCloseTo(1.5113, 4);
    reparameterize(model);
    // RepVGG paper; timm byobnet.py: 1.361 deploy GMACs with 1000 classes; the head's 1280·990 MACs fewer with 10.
    expect(profile(model, 224).gmacs + (1280 * 990) / 1e9).toBeCloseTo(1.361, 3);
    model.dispose();
  });
});
