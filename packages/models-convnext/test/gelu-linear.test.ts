import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Linear, gelu, leanVariableGrads } from '@nextnets/core-layers';
import { geluLinearRows, linearRows } from '../src/ops.js';
import { useWasm } from './helpers.js';

beforeAll(useWasm);

describe('geluLinearRows (fc2 of the MLP, saving only its pre-activation)', () => {
  it('gives the same output and gradients as linearRows after gelu, bit for bit, without leaking tensors', () => {
    const fc = new Linear({ inFeatures: 24, outFeatures: 6 });
    const h = tf.variable(tf.randomNormal([40, 24], 0, 1.5, 'float32', 5)) as tf.Variable<tf.Rank.R2>;
    const target = tf.randomNormal([40, 6], 0, 1, 'float32', 6);
    const variables = [h, fc.weight, fc.bias as tf.Variable];
    const lossOf = (f: () => tf.Tensor) => (): tf.Scalar => tf.sum(tf.mul(f(), target));
    const fused = leanVariableGrads(lossOf(() => geluLinearRows(fc, h)), variables);
    const before = tf.memory().numTensors;
    const plain = leanVariableGrads(lossOf(() => linearRows(fc, gelu(h) as tf.Tensor2D)), variables);
    expect(fused.value.dataSync()[0]).toBe(plain.value.dataSync()[0]);
    for (const v of variables) {
      expect(Array.from(fused.grads[v.name].dataSync()), v.name).toEqual(Array.from(plain.grads[v.name].dataSync()));
    }
    tf.dispose([plain.value, ...Object.values(plain.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([fused.value, ...Object.values(fused.grads), target, ...variables]);
  });
});
