import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { gelu, type GlobalResponseNorm } from '@nextnets/core-layers';
import { ConvNeXtV2, createModel } from '../src/index.js';
import { relErr, seededNormal, useWasm } from './helpers.js';

beforeAll(useWasm);

/** A tiny V2 encoder (64×64 input → 16×16 stem map → 2×2 features) with active (non-zero) GRN parameters. */
function tinyV2(): ConvNeXtV2 {
  const model = createModel('convnextv2_atto', { numClasses: 10, depths: [1, 1, 2, 1], dims: [8, 16, 24, 32] }) as ConvNeXtV2;
  model.namedParameters().forEach(([name, p], i) => {
    if (/grn\.(weight|bias)$/.test(name)) tf.tidy(() => p.variable.assign(tf.mul(seededNormal(p.variable.shape, 50 + i), 0.5)));
  });
  return model.eval();
}

/** Per-sample 2×2 grids of 32-px patches (1 = removed), as [N, 2, 2, 1]. */
function patchGrid(grids: number[][]): tf.Tensor4D {
  return tf.tensor4d(grids.flat(), [grids.length, 2, 2, 1]);
}

/** The grid upsampled to the stem resolution (16×16), as FCMAE's `upsample_mask` does (ConvNeXt V2 FCMAE; official fcmae.py). */
function stemMask(grid: tf.Tensor4D): tf.Tensor4D {
  return tf.image.resizeNearestNeighbor(grid, [16, 16]);
}

/**
 * The ConvNeXt V2 FCMAE; official fcmae.py dense-emulation recipe written out with the modules' plain (unfused) forwards: after the stem
 * x·keep; per block dwconv(x·keep)·keep → LN → fc1 → GELU → GRN with Gx over the masked hidden map → fc2, plus the
 * unmasked input; the mask subsampled at every downsample; masked positions zeroed at the end.
 */
function reference(model: ConvNeXtV2, x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let keep: tf.Tensor = tf.sub(1, mask);
    let y = tf.mul(model.stem.forward(x), keep);
    for (const stage of model.stageList()) {
      if (stage.downsample) {
        y = stage.downsample.forward(y);
        keep = tf.stridedSlice(keep, [0, 0, 0, 0], [keep.shape[0], keep.shape[1] as number, keep.shape[2] as number, 1], [1, 2, 2, 1]);
      }
      for (const block of stage.blockList()) {
        let t = tf.mul(block.convDw.forward(tf.mul(y, keep)), keep);
        t = block.norm.forward(t);
        let h = gelu(block.mlp.fc1.forward(t));
        const grn = block.mlp.grn as GlobalResponseNorm;
        const gx = tf.sqrt(tf.sum(tf.square(tf.mul(h, keep)), [1, 2], true));
        const nx = tf.div(gx, tf.add(tf.mean(gx, -1, true), 1e-6));
        h = tf.add(tf.add(tf.mul(grn.weight, tf.mul(h, nx)), grn.bias), h);
        y = tf.add(y, block.mlp.fc2.forward(h));
      }
    }
    return tf.mul(y, keep);
  });
}

describe('ConvNeXtV2.forwardFeaturesMasked (FCMAE dense emulation)', () => {
  it('equals forwardFeatures when nothing is masked', () => {
    const model = tinyV2();
    const x = seededNormal([2, 64, 64, 3], 1);
    const err = tf.tidy(() => relErr(model.forwardFeaturesMasked(x, tf.zeros([2, 16, 16, 1])), model.forwardFeatures(x)));
    expect(err).toBeLessThan(1e-6);
    model.dispose();
  });

  it('follows the spec recipe (independent unfused reference) and differs from the unmasked forward', () => {
    const model = tinyV2();
    const x = seededNormal([2, 64, 64, 3], 2);
    const grid = patchGrid([[1, 0, 0, 1], [0, 0, 1, 0]]);
    const mask = stemMask(grid);
    const [errRef, diffUnmasked, removedMax] = tf.tidy(() => {
      const ours = model.forwardFeaturesMasked(x, mask);
      const unmasked = tf.mul(model.forwardFeatures(x), tf.sub(1, grid));
      const removed = tf.max(tf.abs(tf.mul(ours, grid))).dataSync()[0];
      return [relErr(ours, reference(model, x, mask)), relErr(ours, unmasked), removed];
    });
    expect(errRef).toBeLessThan(1e-5);
    // Visible positions still see masked neighbours' absence through the 7×7 convs and GRN statistics.
    expect(diffUnmasked).toBeGreaterThan(1e-3);
    expect(removedMax).toBe(0);
    tf.dispose([x, grid, mask]);
    model.dispose();
  });

  it('ignores the content of removed patches, like a sparse conv', () => {
    const model = tinyV2();
    const grid = patchGrid([[0, 1, 1, 0], [1, 0, 1, 1]]);
    const mask = stemMask(grid);
    const x = seededNormal([2, 64, 64, 3], 3);
    // Replace every removed 32×32 patch by different values.
    const upMask = tf.image.resizeNearestNeighbor(grid, [64, 64]);
    const other = tf.tidy(() => tf.add(tf.mul(x, tf.sub(1, upMask)), tf.mul(seededNormal([2, 64, 64, 3], 4), upMask)));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.forwardFeaturesMasked(x, mask), model.forwardFeaturesMasked(other, mask)))).dataSync()[0]);
    expect(diff).toBe(0);
    tf.dispose([grid, mask, x, upMask, other]);
    model.dispose();
  });

  it('keeps gradients finite when a whole sample is removed (GRN Gx = 0)', () => {
    const model = tinyV2().train();
    const x = seededNormal([2, 64, 64, 3], 6);
    const mask = stemMask(patchGrid([[1, 1, 1, 1], [0, 1, 1, 0]]));
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(model.forwardFeaturesMasked(x, mask))) as tf.Scalar,
      model.namedParameters().map(([, p]) => p.variable),
    );
    const finite = Object.values(grads).every((g) => tf.tidy(() => tf.all(tf.isFinite(g)).dataSync()[0] === 1));
    expect(finite).toBe(true);
    tf.dispose([value, ...Object.values(grads), x, mask]);
    model.dispose();
  });

  it('rejects a mask of the wrong shape with one line', () => {
    const model = tinyV2();
    const x = tf.zeros([1, 64, 64, 3]);
    const mask = tf.zeros([1, 8, 8, 1]);
    expect(() => model.forwardFeaturesMasked(x, mask)).toThrow(/^forwardFeaturesMasked: mask has shape \[1,8,8,1\], expected \[1,16,16,1\]/);
    tf.dispose([x, mask]);
    model.dispose();
  });

  it('trains through the mask without leaking tensors', () => {
    const model = tinyV2().train();
    const x = seededNormal([2, 64, 64, 3], 5);
    const mask = stemMask(patchGrid([[1, 0, 0, 1], [0, 1, 1, 0]]));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.tidy(() => {
      const params = model.namedParameters();
      return tf.variableGrads(() => tf.mean(tf.square(model.forwardFeaturesMasked(x, mask))) as tf.Scalar, params.map(([, p]) => p.variable));
    });
    const norms = Object.values(grads).map((g) => tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]));
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(norms.every(Number.isFinite)).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mask]);
    model.dispose();
  });
});
