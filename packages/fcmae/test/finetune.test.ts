import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, manualSeed, stateDict, type ImageClassifier } from '@nextnets/core-layers';
import { loadSafetensors } from '@nextnets/core-layers/node';
import { SyntheticShapes, normalize } from '@nextnets/data-augment';
import { createFinetuneModel, exportEncoder, finetune, finetuneParamGroups, pretrain, saveEncoderCheckpoint } from '../src/node.js';
import { TINY_ENCODER, stdOf, tinyFcmae, useWasm } from './helpers.js';

beforeAll(useWasm);

describe('hand-off to fine-tuning (ConvNeXt V2 FCMAE; official fcmae.py)', () => {
  it('exports timm convnextv2 keys without decoder/mask token and with a fresh head', () => {
    manualSeed(0);
    const fcmae = tinyFcmae();
    const ckpt = exportEncoder(fcmae, 10);
    const classifier = createModel('convnextv2_atto', { numClasses: 10, ...TINY_ENCODER });
    expect([...ckpt.keys()].sort()).toEqual([...stateDict(classifier).keys()].sort());
    expect([...ckpt.keys()].some((k) => /^(encoder\.|decoder\.|proj\.|pred\.|mask_token)/.test(k))).toBe(false);
    expect(ckpt.get('head.fc.weight')!.shape).toEqual([10, 32]);
    const fc = tf.tensor(ckpt.get('head.fc.weight')!.data);
    expect(stdOf(fc)).toBeGreaterThan(1e-5);
    expect(stdOf(fc)).toBeLessThan(3e-5);
    expect(Array.from(ckpt.get('head.fc.bias')!.data)).toEqual(new Array(10).fill(0));
    expect(Array.from(ckpt.get('head.norm.weight')!.data)).toEqual(new Array(32).fill(1));
    // encoder tensors are copied unchanged
    const enc = stateDict(fcmae).get('encoder.stages.1.blocks.0.mlp.fc1.weight')!;
    expect(ckpt.get('stages.1.blocks.0.mlp.fc1.weight')!.data).toEqual(enc.data);
    expect([...exportEncoder(fcmae, 0).keys()].filter((k) => k.startsWith('head.'))).toEqual(['head.norm.weight', 'head.norm.bias']);
    expect(() => exportEncoder(fcmae, -1)).toThrow(/^exportEncoder: numClasses must be an integer >= 0, got -1$/);
    tf.dispose(fc);
    classifier.dispose();
    fcmae.dispose();
  });

  it('layer-decay groups: one id per block (single), head at full lr, no decay on 1-D/GRN', () => {
    const model = createModel('convnextv2_atto', { numClasses: 10, ...TINY_ENCODER });
    const groups = finetuneParamGroups(model, { layerDecay: 0.5 });
    const scaleOf = new Map(groups.flatMap((g) => g.params.map((p) => [p.name, g.lrScale] as const)));
    const decayOf = new Map(groups.flatMap((g) => g.params.map((p) => [p.name, g.weightDecay] as const)));
    // 2 blocks → numLayers 2: stem/block 0 → id 1 → 0.5², block 1 (+ its downsample) → id 2 → 0.5, head → 1
    expect(scaleOf.get('stem.0.weight')).toBeCloseTo(0.25, 12);
    expect(scaleOf.get('stages.0.blocks.0.conv_dw.weight')).toBeCloseTo(0.25, 12);
    expect(scaleOf.get('stages.1.downsample.1.weight')).toBeCloseTo(0.5, 12);
    expect(scaleOf.get('head.fc.weight')).toBe(1);
    expect(decayOf.get('stages.1.blocks.0.mlp.fc1.weight')).toBe(0.05);
    expect(decayOf.get('stages.1.blocks.0.mlp.grn.weight')).toBe(0);
    expect(decayOf.get('head.norm.weight')).toBe(0);
    model.dispose();
  });

  it('end to end: pretrain a few steps → export → strict load into convnextv2_atto → fine-tune with falling loss', async () => {
    manualSeed(1);
    const fcmae = tinyFcmae();
    const shapes = new SyntheticShapes({ numClasses: 4, size: 32, count: 16, seed: 5 });
    const pre = await pretrain({ model: fcmae, dataset: shapes, epochs: 2, batchSize: 8, inputSize: 32, lr: 1e-3, warmupEpochs: 0 });
    expect(pre.losses).toHaveLength(4);

    // file round trip through the timm-keyed checkpoint, loaded strictly
    const dir = mkdtempSync(join(tmpdir(), 'fcmae-'));
    const path = join(dir, 'encoder.safetensors');
    saveEncoderCheckpoint(fcmae, path, 10);
    const model = createModel('convnextv2_atto', { numClasses: 10, ...TINY_ENCODER }) as ImageClassifier;
    const result = loadSafetensors(model, path, { strict: true });
    expect(result.missingKeys).toEqual([]);
    expect(result.unexpectedKeys).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    // the classifier's features equal the FCMAE encoder's dense features
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 3);
    model.eval();
    fcmae.eval();
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.forwardFeatures(x), fcmae.encoder.forward(x)))).dataSync()[0]);
    expect(diff).toBe(0);

    const tuned = createFinetuneModel(fcmae, 4);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const losses = await finetune({
      model: tuned,
      dataset: shapes,
      epochs: 8,
      batchSize: 8,
      inputSize: 32,
      lr: 1e-2,
      layerDecay: 0.9,
      transform: normalize(), // fixed inputs so the loss curve is not augmentation noise
      onStep: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    expect(losses).toHaveLength(16);
    expect(losses.every(Number.isFinite)).toBe(true);
    console.log(`fine-tune loss: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    expect(losses[15]).toBeLessThan(0.8 * losses[0]);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    [model, tuned, fcmae].forEach((m) => m.dispose());
  });
});
