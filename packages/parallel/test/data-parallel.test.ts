import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '@nextnets/backend';
import { manualSeed, valueAndGrads, type ImageClassifier } from '@nextnets/core-layers';
import { crossEntropy, softTargetCrossEntropy } from '@nextnets/optim';
import { DataParallel, shardRanges, weightedShardRanges } from '../src/index';
import { createReplica } from './replica';
import { replicaLoss as regressionLoss } from './replica-regression';

const factoryUrl = new URL('./replica.ts', import.meta.url).href;
const tinyArgs = { numClasses: 5, depths: [1, 1], dims: [8, 16], patchSize: 2, dropPathRate: 0 };

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(y[i]));
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  return worst;
}

describe('shardRanges', () => {
  it('splits a batch into near-equal contiguous shards and drops empty ones', () => {
    expect(shardRanges(7, 3)).toEqual([[0, 3], [3, 2], [5, 2]]);
    expect(shardRanges(64, 2)).toEqual([[0, 32], [32, 32]]);
    expect(shardRanges(1, 2)).toEqual([[0, 1]]);
  });

  it('splits in proportion to weights, by largest remainder, with at least one row per replica', () => {
    expect(weightedShardRanges(64, [1, 1])).toEqual([[0, 32], [32, 32]]);
    expect(weightedShardRanges(64, [1, 0.6])).toEqual([[0, 40], [40, 24]]); // 1 + 38.75 and 1 + 23.25 of 62
    expect(weightedShardRanges(64, [0.5, 1.5])).toEqual([[0, 17], [17, 47]]); // 1 + 15.5 and 1 + 46.5: the tie goes to the first
    expect(weightedShardRanges(64, [1, 0])).toEqual([[0, 63], [63, 1]]);
    expect(weightedShardRanges(10, [3, 1, 1])).toEqual([[0, 5], [5, 3], [8, 2]]); // 1 + 4.2, 1 + 1.4, 1 + 1.4: the 7th row to the first .4
    expect(weightedShardRanges(2, [1, 1, 1])).toEqual([[0, 1], [1, 1]]);
    for (const weights of [[0.3, 2.9], [1, 2, 3], [5, 0.01, 0.01, 7]]) {
      const ranges = weightedShardRanges(37, weights);
      expect(ranges.reduce((sum, [, size]) => sum + size, 0)).toBe(37);
      ranges.forEach(([start], r) => expect(start).toBe(r === 0 ? 0 : ranges[r - 1][0] + ranges[r - 1][1]));
    }
  });
});

describe('DataParallel on wasm', () => {
  let model: ImageClassifier;
  let dp: DataParallel;

  beforeAll(async () => {
    await setupBackend('wasm');
    model = createReplica(tinyArgs);
    dp = await DataParallel.create(model, { replicas: 3, factoryUrl, factoryArgs: tinyArgs });
  });
  afterAll(async () => {
    await dp?.dispose();
    model?.dispose();
  });

  const batchOf = (n: number, seed: number) => ({
    images: tf.randomNormal([n, 16, 16, 3], 0, 1, 'float32', seed) as tf.Tensor4D,
    labels: tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 3 + seed) % 5), 'int32'),
  });

  it('gives the loss and gradients of the whole batch (hard labels, smoothing, uneven shards)', async () => {
    const batch = batchOf(7, 1);
    model.train();
    const ref = valueAndGrads(model, () => crossEntropy(model.forward(batch.images), batch.labels, { labelSmoothing: 0.1 }));
    const got = await dp.valueAndGrads(batch, { smoothing: 0.1 });
    expect(got.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 5);
    expect(Object.keys(got.grads).sort()).toEqual(Object.keys(ref.grads).sort());
    for (const name of Object.keys(ref.grads)) expect(maxRelDiff(got.grads[name], ref.grads[name]), name).toBeLessThan(1e-4);
    tf.dispose([ref.value, got.value, ...Object.values(ref.grads), ...Object.values(got.grads), batch.images, batch.labels]);
  });

  it('follows weight updates made on the main thread and handles soft targets', async () => {
    for (const [, p] of model.namedParameters()) p.variable.assign(tf.tidy(() => tf.add(p.variable, tf.randomNormal(p.variable.shape, 0, 0.02))));
    const batch = { ...batchOf(6, 2), targets: tf.softmax(tf.randomNormal([6, 5], 0, 1, 'float32', 3)) as tf.Tensor2D };
    const ref = valueAndGrads(model, () => softTargetCrossEntropy(model.forward(batch.images), batch.targets));
    const got = await dp.valueAndGrads(batch);
    expect(got.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 5);
    for (const name of Object.keys(ref.grads)) expect(maxRelDiff(got.grads[name], ref.grads[name]), name).toBeLessThan(1e-4);
    tf.dispose([ref.value, got.value, ...Object.values(ref.grads), ...Object.values(got.grads), ...Object.values(batch)]);
  });

  it('predicts the same logits as the model in eval mode', async () => {
    const { images, labels } = batchOf(5, 4);
    model.eval();
    const ref = model.forward(images);
    const got = await dp.predict(images);
    expect(got.shape).toEqual([5, 5]);
    expect(maxRelDiff(got, ref)).toBeLessThan(1e-5);
    tf.dispose([ref, got, images, labels]);
  });

  it('keeps the logits whatever split the measured speeds give on later calls', async () => {
    const { images, labels } = batchOf(11, 7);
    model.eval();
    const ref = model.forward(images);
    for (let call = 0; call < 4; call++) {
      const got = await dp.predict(images);
      expect(got.shape).toEqual([11, 5]);
      expect(maxRelDiff(got, ref), `call ${call}`).toBeLessThan(1e-5);
      got.dispose();
    }
    tf.dispose([ref, images, labels]);
  });

  it('leaves no tensors behind across steps', async () => {
    const batch = batchOf(4, 5);
    const step = async () => {
      const { value, grads } = await dp.valueAndGrads(batch, { smoothing: 0.1 });
      tf.dispose([value, ...Object.values(grads)]);
      tf.dispose(await dp.predict(batch.images));
    };
    await step();
    const before = tf.memory().numTensors;
    await step();
    await step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch.images, batch.labels]);
  });

  it('replays the workers\' drop-path randomness from the step seed', async () => {
    const dropArgs = { ...tinyArgs, dropPathRate: 0.5, lsInitValue: 1 }; // layer scale 1: a dropped block shows in the loss
    const dropModel = createReplica(dropArgs);
    const dropDp = await DataParallel.create(dropModel, { replicas: 2, factoryUrl, factoryArgs: dropArgs });
    const batch = batchOf(8, 6);
    const workerGrad = async (seed: number) => {
      manualSeed(1); // the main thread's shard draws the same masks every time
      const { value, grads } = await dropDp.valueAndGrads(batch, { seed });
      const out = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    try {
      const [a, b, c] = [await workerGrad(10), await workerGrad(10), await workerGrad(11)];
      expect(b).toBe(a);
      expect(c).not.toBe(a);
    } finally {
      await dropDp.dispose();
      dropModel.dispose();
      tf.dispose([batch.images, batch.labels]);
    }
  });

  it('rejects a replica factory that builds another architecture, naming the first differing tensor', async () => {
    await expect(
      DataParallel.create(model, { replicas: 2, factoryUrl, factoryArgs: { ...tinyArgs, dims: [8, 24] } }),
    ).rejects.toThrow(/replica 1: replica built by .*replica\.ts differs from the model: replica stages\.1\.\S+ has shape/);
  });

  it('runs any task\'s loss: the main thread\'s `loss` and the factory\'s `replicaLoss` on named batch tensors', async () => {
    const regressionUrl = new URL('./replica-regression.ts', import.meta.url).href;
    const regression = await DataParallel.create(model, { replicas: 2, factoryUrl: regressionUrl, factoryArgs: tinyArgs, loss: regressionLoss });
    try {
      model.train();
      const images = tf.randomNormal([5, 16, 16, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
      const y = tf.randomNormal([5, 5], 0, 1, 'float32', 9);
      const ref = valueAndGrads(model, () => regressionLoss(model, { images, y }, { weight: 2 }));
      const got = await regression.valueAndGrads({ images, y }, { lossOptions: { weight: 2 } });
      expect(got.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 5);
      for (const name of Object.keys(ref.grads)) expect(maxRelDiff(got.grads[name], ref.grads[name]), name).toBeLessThan(1e-4);
      tf.dispose([images, y, ref.value, got.value, ...Object.values(ref.grads), ...Object.values(got.grads)]);
      await expect(regression.valueAndGrads({ images: tf.zeros([4, 16, 16, 3]), y: tf.zeros([3, 5]) })).rejects.toThrow(
        /^DataParallel\.valueAndGrads: 'y' has 3 rows, 'images' has 4$/,
      );
    } finally {
      await regression.dispose();
    }
  });
});
