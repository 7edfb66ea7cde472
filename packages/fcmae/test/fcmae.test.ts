import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, loadStateDict, manualSeed, stateDict, valueAndGrads, withShapeOnlyInit } from '@nextnets/core-layers';
import { FCMAE, generateRandomMask, upsampleMask } from '../src/index.js';
import { TINY_ENCODER, activateGrn, seededNormal, stdOf, tinyFcmae, useWasm } from './helpers.js';

beforeAll(useWasm);

describe('FCMAE structure and keys (official fcmae.py layout)', () => {
  it('has the official top-level keys and PyTorch shapes on a tiny config', () => {
    const model = tinyFcmae();
    expect(model.patchSize).toBe(8);
    const sd = stateDict(model);
    const keys = [...sd.keys()];
    expect(keys[0]).toBe('mask_token');
    expect(sd.get('mask_token')!.shape).toEqual([1, 32, 1, 1]);
    expect(sd.get('proj.weight')!.shape).toEqual([32, 32, 1, 1]);
    expect(sd.get('pred.weight')!.shape).toEqual([8 * 8 * 3, 32, 1, 1]);
    expect(sd.get('pred.bias')!.shape).toEqual([192]);
    expect(sd.get('decoder.0.conv_dw.weight')!.shape).toEqual([32, 1, 7, 7]);
    expect(sd.get('decoder.0.mlp.fc1.weight')!.shape).toEqual([128, 32]);
    expect(sd.get('encoder.stem.0.weight')!.shape).toEqual([16, 3, 4, 4]);
    expect(sd.get('encoder.stages.1.downsample.1.weight')!.shape).toEqual([32, 16, 2, 2]);
    expect(keys.filter((k) => k.startsWith('encoder.head'))).toEqual([]);
    const prefixes = new Set(keys.map((k) => k.split('.')[0]));
    expect([...prefixes]).toEqual(['mask_token', 'encoder', 'proj', 'decoder', 'pred']);
    model.dispose();
  });

  it('round-trips its state dict strictly (checkpoint / resume)', () => {
    manualSeed(5);
    const a = tinyFcmae();
    manualSeed(6);
    const b = tinyFcmae();
    loadStateDict(b, stateDict(a), { strict: true, source: 'fcmae' });
    const x = seededNormal([1, 32, 32, 3], 9);
    const mask = a.randomMask(1, 32, 32, new Rng(3));
    a.eval();
    b.eval();
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a.loss(x, mask), b.loss(x, mask)))).dataSync()[0]);
    expect(diff).toBe(0);
    const tokenA = stateDict(a).get('mask_token')!;
    expect(tokenA.data).toEqual(stateDict(b).get('mask_token')!.data);
    tf.dispose([x, mask]);
    a.dispose();
    b.dispose();
  });

  it('defaults to patch 32, decoder 512 × depth 1, pred 32·32·3 for convnextv2_atto (shape-only build)', () => {
    const model = withShapeOnlyInit(() => new FCMAE({ init: 'timm' }));
    expect(model.patchSize).toBe(32);
    expect(model.maskRatio).toBe(0.6);
    expect(model.normPixLoss).toBe(true);
    const params = new Map(model.namedParameters().map(([n, p]) => [n, p.shape]));
    expect(params.get('pred.weight')).toEqual([512, 3072]);
    expect(params.get('mask_token')).toEqual([1, 1, 512, 1]);
    expect([...params.keys()].filter((k) => k.startsWith('decoder.1.'))).toEqual([]);
    // Encoder without head = ConvNeXt V2 paper; official convnextv2.py encoder-only count for atto (3,386,760).
    const encoderParams = model.namedParameters().filter(([n]) => n.startsWith('encoder.')).reduce((s, [, p]) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    expect(encoderParams).toBe(3_386_760);
    // + proj 320·512+512 + mask_token 512 + one 512-wide V2 block (25,600 + 1,024 + 1,050,624 + 4,096 + 1,049,088)
    // + pred 512·3072+3072
    expect(model.numParams()).toBe(3_386_760 + 164_352 + 512 + 2_130_432 + 1_575_936);
  });

  it('patch size = stem stride × downsamples; a mismatched patchSize or non-V2 encoder fails with one line', () => {
    const three = withShapeOnlyInit(() => new FCMAE({ encoderOverrides: { depths: [1, 1, 1], dims: [8, 16, 24] }, decoderDim: 16 }));
    expect(three.patchSize).toBe(16);
    const stem2 = withShapeOnlyInit(() => new FCMAE({ encoderOverrides: { depths: [1, 1], dims: [8, 16], patchSize: 2 }, decoderDim: 16 }));
    expect(stem2.patchSize).toBe(8); // timm: stem 2 → stage 0 also downsamples
    expect(() => withShapeOnlyInit(() => new FCMAE({ encoderOverrides: TINY_ENCODER, patchSize: 32 }))).toThrow(
      /^FCMAE: patchSize 32 does not match the encoder's total stride 8 \(stem stride 4\)$/,
    );
    expect(() => withShapeOnlyInit(() => new FCMAE({ encoder: 'convnext_atto' }))).toThrow(/^FCMAE: encoder must be a convnextv2_\* model, got 'convnext_atto'$/);
  });
});

describe('FCMAE init (ConvNeXt V2 FCMAE; official fcmae.py)', () => {
  it("'fcmae' follows the literal official _init_weights (std 1.0 trunc normal on convs and block linears)", () => {
    manualSeed(1);
    const model = new FCMAE({ encoderOverrides: { depths: [1, 1], dims: [32, 64] }, decoderDim: 64 });
    const p = new Map(model.namedParameters().map(([n, q]) => [n, q.variable]));
    for (const name of ['encoder.stem.0.weight', 'encoder.stages.0.blocks.0.conv_dw.weight', 'encoder.stages.1.blocks.0.mlp.fc1.weight', 'encoder.stages.1.blocks.0.mlp.fc2.weight', 'proj.weight', 'decoder.0.conv_dw.weight', 'pred.weight']) {
      const s = stdOf(p.get(name)!);
      // trunc_normal(std 1, ±2) has std 0.880
      expect(s, name).toBeGreaterThan(0.8);
      expect(s, name).toBeLessThan(0.96);
      expect(tf.max(tf.abs(p.get(name)!)).dataSync()[0], name).toBeLessThanOrEqual(2);
    }
    // sparse downsample conv keeps trunc_normal(.02); decoder nn.Linear keeps PyTorch's U(±1/√fan_in)
    expect(stdOf(p.get('encoder.stages.1.downsample.1.weight')!)).toBeLessThan(0.03);
    const fc1 = p.get('decoder.0.mlp.fc1.weight')!;
    expect(tf.max(tf.abs(fc1)).dataSync()[0]).toBeLessThanOrEqual(1 / Math.sqrt(64));
    expect(stdOf(fc1)).toBeCloseTo(1 / Math.sqrt(64) / Math.sqrt(3), 2);
    expect(tf.max(tf.abs(p.get('decoder.0.mlp.fc1.bias')!)).dataSync()[0]).toBeGreaterThan(0);
    for (const name of ['encoder.stem.0.bias', 'proj.bias', 'pred.bias', 'decoder.0.conv_dw.bias', 'encoder.stages.0.blocks.0.mlp.fc1.bias']) {
      expect(tf.max(tf.abs(p.get(name)!)).dataSync()[0], name).toBe(0);
    }
    expect(stdOf(p.get('mask_token')!)).toBeCloseTo(0.02, 2);
    model.dispose();
  });

  it("'timm' keeps the small trunc_normal(.02) init everywhere", () => {
    manualSeed(2);
    const model = tinyFcmae({ init: 'timm' });
    for (const [name, q] of model.namedParameters()) {
      if (/(conv_dw|fc1|fc2|stem\.0|proj|pred)\.weight$/.test(name)) expect(stdOf(q.variable), name).toBeLessThan(0.03);
    }
    model.dispose();
  });
});

describe('sparse emulation: no information leaks from removed patches', () => {
  const cases = [
    { label: '2 stages, patch 8, 32×32', overrides: TINY_ENCODER, size: 32 },
    { label: '3 stages, patch 16, 64×64', overrides: { depths: [1, 2, 1], dims: [8, 16, 24] }, size: 64 },
  ];
  it.each(cases)('$label: pixels inside removed patches do not change visible encoder features or predictions', ({ overrides, size }) => {
    const model = new FCMAE({ encoderOverrides: overrides, decoderDim: 16 });
    activateGrn(model, 10);
    model.eval();
    const n = 2;
    const x = seededNormal([n, size, size, 3], 1);
    const [gh, gw] = model.gridSize(size, size);
    const mask = generateRandomMask(n, gh, gw, 0.6, new Rng(5));
    const pixelMask = upsampleMask(mask, model.patchSize);
    // new content only inside removed patches
    const changed = tf.tidy(() => tf.add(tf.mul(x, tf.sub(1, pixelMask)), tf.mul(seededNormal([n, size, size, 3], 2), pixelMask)));
    const [featDiff, predDiff, featScale, denseDiff] = tf.tidy(() => {
      const a = model.forwardEncoder(x, mask);
      const b = model.forwardEncoder(changed, mask);
      const visible = tf.sub(1, mask);
      const pa = model.forwardDecoder(a, mask);
      const pb = model.forwardDecoder(b, mask);
      const dense = tf.mul(tf.sub(model.encoder.forward(x), model.encoder.forward(changed)), visible);
      return [
        tf.max(tf.abs(tf.mul(tf.sub(a, b), visible))).dataSync()[0],
        tf.max(tf.abs(tf.sub(pa, pb))).dataSync()[0],
        tf.max(tf.abs(a)).dataSync()[0],
        tf.max(tf.abs(dense)).dataSync()[0],
      ];
    });
    // masked sites contribute exact zeros, so visible features agree to float32 round-off (in fact bit for bit)
    expect(featScale).toBeGreaterThan(1);
    expect(featDiff).toBeLessThanOrEqual(1e-5);
    expect(predDiff).toBeLessThanOrEqual(1e-5);
    // the test can fail: the ordinary dense forward does see the removed pixels
    expect(denseDiff).toBeGreaterThan(1e-2);
    // and a change in a visible patch does reach the features
    const visibleChange = tf.tidy(() => {
      const other = tf.add(x, tf.mul(tf.sub(1, pixelMask), 0.5));
      return tf.max(tf.abs(tf.sub(model.forwardEncoder(x, mask), model.forwardEncoder(other, mask)))).dataSync()[0];
    });
    expect(visibleChange).toBeGreaterThan(1e-3);
    tf.dispose([x, mask, pixelMask, changed]);
    model.dispose();
  });

  it('rejects a mask that is not at patch resolution with one line', () => {
    const model = tinyFcmae();
    const x = tf.zeros([1, 32, 32, 3]);
    const mask = tf.zeros([1, 8, 8, 1]);
    expect(() => model.forwardEncoder(x, mask)).toThrow(/^FCMAE encoder: mask has shape \[1,8,8,1\], expected \[1,4,4,1\] \(patch grid\)$/);
    expect(() => model.run(tf.zeros([1, 30, 32, 3]))).toThrow(/^FCMAE: image size 30×32 is not a multiple of the patch size 8$/);
    tf.dispose([x, mask]);
    model.dispose();
  });
});

describe('FCMAE forward / training step', () => {
  it('keeps gradients finite when a GRN channel is exactly zero at every visible position', () => {
    const model = tinyFcmae({ init: 'timm' });
    // GELU(−1e4) is exactly 0, so hidden channel 0 of this block is all-zero and its GRN norm is 0
    const bias = model.encoder.net.stageList()[1].blockList()[0].mlp.fc1.bias!;
    tf.tidy(() => bias.assign(tf.concat([tf.tensor1d([-1e4]), tf.slice(bias, [1], [bias.shape[0] - 1])])));
    const x = seededNormal([2, 32, 32, 3], 6);
    const mask = model.randomMask(2, 32, 32, new Rng(2));
    const { value, grads } = valueAndGrads(model, () => model.loss(x, mask));
    const finite = Object.entries(grads).filter(([, g]) => !Number.isFinite(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0])));
    expect(finite.map(([n]) => n)).toEqual([]);
    tf.dispose([value, ...Object.values(grads), x, mask]);
    model.dispose();
  });

  it('run() returns loss, predictions [N, L, p²·C] and the mask; forward() is the prediction', () => {
    manualSeed(3);
    const model = tinyFcmae();
    const x = seededNormal([2, 32, 32, 3], 3);
    const { loss, pred, mask } = model.run(x);
    expect(pred.shape).toEqual([2, 16, 192]);
    expect(mask.shape).toEqual([2, 4, 4, 1]);
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    const again = model.forwardLoss(x, pred, mask);
    expect(again.dataSync()[0]).toBeCloseTo(loss.dataSync()[0], 4);
    const before = tf.memory().numTensors;
    const out = model.forward(x);
    expect(out.shape).toEqual([2, 16, 192]);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, loss, pred, mask, again]);
    model.dispose();
  });

  it('decoderDepth 0 has no decoder blocks and still reconstructs', () => {
    const model = tinyFcmae({ decoderDepth: 0 });
    expect(model.namedParameters().filter(([n]) => n.startsWith('decoder.'))).toEqual([]);
    const x = seededNormal([1, 32, 32, 3], 4);
    const { loss, pred, mask } = model.run(x);
    expect(pred.shape).toEqual([1, 16, 192]);
    tf.dispose([x, loss, pred, mask]);
    model.dispose();
  });

  it('gradient steps leave tf.memory().numTensors unchanged and reach every parameter', () => {
    manualSeed(4);
    const model = tinyFcmae({ encoderOverrides: { ...TINY_ENCODER, dropPathRate: 0.1 } });
    model.train();
    const x = seededNormal([2, 32, 32, 3], 5);
    const mask = model.randomMask(2, 32, 32, new Rng(1));
    for (let step = 0; step < 3; step++) {
      const before = tf.memory().numTensors;
      const { value, grads } = valueAndGrads(model, () => model.loss(x, mask));
      expect(Object.keys(grads).length).toBe(model.namedParameters().length);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([x, mask]);
    model.dispose();
  });
});
