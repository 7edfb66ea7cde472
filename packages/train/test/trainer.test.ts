/**
 * The engine from code, with no filesystem: a tiny ConvNeXt learns the synthetic shapes with every file of the run
 * (metrics.jsonl, curves.svg, last/ and best/ checkpoints) in a MemoryStorage; each step leaves tf.memory() as it
 * was; a resumed run continues from `last`; a diverging loss stops the run before it reaches the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { createModel, manualSeed, parseSafetensors, type ImageClassifier } from '@nextnets/core-layers';
import { buildEvalTransform, SyntheticShapes, splitDataset } from '@nextnets/data-augment';
import { DataLoader } from '@nextnets/data-augment/node';
import '@nextnets/models-convnext';
import { AdamW, constant, cosineWithWarmup, LrScheduler, ModelEma, SGD } from '@nextnets/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import { classificationTask, MemoryStorage, readText, Trainer, type ClassificationBatch, type EpochSummary, type Task } from '../src/index';

beforeAll(async () => {
  await setupBackend('wasm');
});

const TINY = { depths: [1, 1, 1, 1], dims: [8, 16, 24, 32], patchSize: 2, numClasses: 4, dropPathRate: 0 };

function setup(epochs: number, storage: MemoryStorage) {
  manualSeed(0);
  const model = createModel('convnext_atto', TINY) as ImageClassifier;
  const { train, val } = splitDataset(new SyntheticShapes({ count: 96, numClasses: 4, size: 32, seed: 1 }), 0.25, 0);
  const transform = buildEvalTransform({ size: 32, cropPct: 1 });
  const trainLoader = new DataLoader({ dataset: train, batchSize: 12, shuffle: true, seed: 0, dropLast: true, transform, workers: 0 });
  const evalLoader = new DataLoader({ dataset: val, batchSize: 24, seed: 0, transform, workers: 0 });
  const params = model.namedParameters().map(([name, p]) => ({ name, variable: p.variable }));
  const optimizer = new AdamW(params, { lr: 1e-2, weightDecay: 0.05 });
  const scheduler = new LrScheduler(cosineWithWarmup({ baseLr: 1e-2, totalSteps: epochs * trainLoader.length, warmupSteps: 2 }));
  const ema = new ModelEma([...model.namedParameters(), ...model.namedBuffers()].map(([name, p]) => [name, p.variable]), { decay: 0.9 });
  const task = classificationTask(model, { numClasses: 4, smoothing: 0.1 });
  return { model, task, optimizer, scheduler, ema, train: trainLoader, eval: evalLoader, epochs, storage, clipGrad: 1 };
}

describe('Trainer with in-memory storage', () => {
  it('trains a tiny ConvNeXt: the loss falls, tensors stay constant per step, the run lives in memory', async () => {
    const storage = new MemoryStorage();
    const s = setup(6, storage);
    const trainer = new Trainer(s);
    const counts: number[][] = [];
    const events: string[] = [];
    trainer.on('epochStart', ({ epoch }) => {
      counts[epoch] = [];
    });
    trainer.on('step', ({ epoch }) => {
      counts[epoch].push(tf.memory().numTensors);
    });
    trainer.on('evaluated', ({ epoch, result }) => {
      events.push(`eval ${epoch} ${result.count}`);
    });
    const result = await trainer.run();
    expect(result.steps).toBe(6 * 6);
    expect(result.epochs).toBe(6);
    expect(events).toEqual([0, 1, 2, 3, 4, 5].map((e) => `eval ${e} 24`));
    for (const perEpoch of counts) expect(new Set(perEpoch).size, `tensors per step: ${perEpoch.join(',')}`).toBe(1);
    expect(new Set(counts.map((c) => c[0])).size).toBe(1);

    const records = (await readText(storage, 'metrics.jsonl'))!.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    const epochs = records.filter((r): r is EpochSummary => r.type === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    console.log(`train loss per epoch: ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' → ')}; top-1 ${epochs.map((e) => e.top1).join(', ')}`);
    // a ConvNeXt starts with its blocks scaled down by layer scale (1e-6): 36 steps of a tiny one lower the loss steadily but slowly
    expect(epochs[5].trainLoss).toBeLessThan(0.95 * epochs[0].trainLoss);
    expect(epochs[5].trainLoss).toBeLessThan(Math.min(...epochs.slice(0, 4).map((e) => e.trainLoss)));
    expect(epochs[5].emaTop1).toBeTypeOf('number');
    expect(storage.list()).toEqual(
      expect.arrayContaining(['curves.svg', 'summary.json', 'last/model.safetensors', 'last/ema.safetensors', 'last/state.json', 'last/state.safetensors', 'best/model.safetensors', 'best/info.json']),
    );
    expect(storage.list().some((p) => p.includes('.tmp') || p.includes('.old'))).toBe(false);
    const saved = parseSafetensors(storage.files.get('last/model.safetensors')!).tensors;
    expect(saved.get('stem.0.weight')?.shape).toEqual([8, 3, 2, 2]);
    expect(result.best).toBe(Math.max(...epochs.map((e) => e.top1!)));
    s.optimizer.dispose();
  });

  it('resumes from the `last` checkpoint in the same storage: the weights and the epoch loss of an uninterrupted run', async () => {
    const straight = new MemoryStorage();
    const a = setup(2, straight);
    await new Trainer(a).run();
    a.optimizer.dispose();

    const interrupted = new MemoryStorage();
    const b = setup(2, interrupted);
    const crashing = new Trainer({ ...b, checkpointEvery: 2 });
    crashing.on('step', ({ step }) => {
      if (step === 5) throw new Error('simulated crash'); // after step 5's update; `last` holds step 4
    });
    await expect(crashing.run()).rejects.toThrow('simulated crash');
    b.optimizer.dispose();
    const c = setup(2, interrupted);
    const resumed = new Trainer({ ...c, resume: true });
    let start: { step: number; resumedFrom?: string } | undefined;
    resumed.on('start', (e) => {
      start = e;
    });
    await resumed.run();
    c.optimizer.dispose();
    expect(start).toMatchObject({ step: 4, resumedFrom: 'last' });
    const x = parseSafetensors(straight.files.get('last/model.safetensors')!).tensors;
    const y = parseSafetensors(interrupted.files.get('last/model.safetensors')!).tensors;
    for (const [key, t] of x) expect(Array.from(y.get(key)!.data), key).toEqual(Array.from(t.data));
    // the epoch that was cut at step 5 reports the loss of all its 6 steps, not of the 2 run after the resume
    const epochRecords = async (storage: MemoryStorage) =>
      (await readText(storage, 'metrics.jsonl'))!.trim().split('\n').map((l) => JSON.parse(l) as EpochSummary).filter((r) => r.type === 'epoch');
    const [straight0, straight1] = await epochRecords(straight);
    const [resumed0, resumed1] = await epochRecords(interrupted);
    expect(resumed0.trainLoss).toBeCloseTo(straight0.trainLoss, 6);
    expect(resumed1.trainLoss).toBeCloseTo(straight1.trainLoss, 6);
    expect(resumed0.seconds).toBeGreaterThan(0);
  });

  it('a resume after a kill during the final evaluation finishes it: the last epoch record, best/, curves, summary', async () => {
    const straight = new MemoryStorage();
    const a = setup(2, straight);
    const whole = await new Trainer({ ...a, maxSteps: 9 }).run();
    a.optimizer.dispose();

    const interrupted = new MemoryStorage();
    const b = setup(2, interrupted);
    // 6 steps per epoch: step 9 is mid-epoch 1 and a multiple of checkpointEvery, so `last` holds all the steps
    const crashing = new Trainer({ ...b, maxSteps: 9, checkpointEvery: 3 });
    crashing.on('evaluated', ({ epoch }) => {
      if (epoch === 1) throw new Error('killed during the final evaluation');
    });
    await expect(crashing.run()).rejects.toThrow('killed during the final evaluation');
    b.optimizer.dispose();
    const c = setup(2, interrupted);
    const result = await new Trainer({ ...c, maxSteps: 9, checkpointEvery: 3, resume: true }).run();
    c.optimizer.dispose();
    expect(result.steps).toBe(9);
    expect(result.final?.top1).toBe(whole.final?.top1);
    expect(result.final?.loss).toBeCloseTo(whole.final!.loss, 6);
    const summary = JSON.parse((await readText(interrupted, 'summary.json'))!) as { final?: { top1: number } };
    expect(summary.final?.top1).toBe(whole.final?.top1);
    const records = (await readText(interrupted, 'metrics.jsonl'))!.trim().split('\n').map((l) => JSON.parse(l) as EpochSummary).filter((r) => r.type === 'epoch');
    const expected = (await readText(straight, 'metrics.jsonl'))!.trim().split('\n').map((l) => JSON.parse(l) as EpochSummary).filter((r) => r.type === 'epoch');
    expect(records.map((r) => [r.epoch, r.step, r.top1])).toEqual(expected.map((r) => [r.epoch, r.step, r.top1]));
    expect(records[1].trainLoss).toBeCloseTo(expected[1].trainLoss, 6);
    expect(await readText(interrupted, 'best/info.json')).toBe(await readText(straight, 'best/info.json'));
    expect((await readText(interrupted, 'curves.svg'))!).toBe((await readText(straight, 'curves.svg'))!);

    // resuming the finished run again changes nothing and keeps the summary with its metrics
    const d = setup(2, interrupted);
    await new Trainer({ ...d, maxSteps: 9, checkpointEvery: 3, resume: true }).run();
    d.optimizer.dispose();
    expect((JSON.parse((await readText(interrupted, 'summary.json'))!) as { final?: { top1: number } }).final?.top1).toBe(whole.final?.top1);
  });

  it('never writes a checkpoint with an exploding loss or weights: `last` keeps the last sound step', async () => {
    manualSeed(0);
    const model = createModel('convnext_atto', TINY) as ImageClassifier;
    const inner = classificationTask(model, { numClasses: 4 });
    // from step 3 on the loss is scaled by 1e12: finite, but the update throws the weights (and then the loss) far out
    const task: Task<ClassificationBatch> = { ...inner, loss: (batch, ctx) => tf.mul(inner.loss(batch, ctx), ctx.step >= 2 ? 1e12 : 1) as tf.Scalar };
    const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const batches = {
      length: 6,
      async *epoch() {
        for (let i = 0; i < 6; i++) yield { images: tf.clone(images), labels: tf.tensor1d([0, 1], 'int32') };
      },
    };
    const params = model.namedParameters().map(([name, p]) => ({ name, variable: p.variable }));
    const optimizer = new SGD(params, { lr: 0.1 });
    const storage = new MemoryStorage();
    const trainer = new Trainer({ task, optimizer, scheduler: new LrScheduler(constant({ baseLr: 0.1 })), train: batches, epochs: 1, checkpointEvery: 1, storage });
    await expect(trainer.run()).rejects.toThrow(/^training diverged: (loss|weight \S+) is \S+ at step 3; memory\/last keeps step 2$/);
    const state = JSON.parse((await readText(storage, 'last/state.json'))!) as { step: number };
    expect(state.step).toBe(2);
    for (const [key, t] of parseSafetensors(storage.files.get('last/model.safetensors')!).tensors) {
      expect(t.data.every((v) => Math.abs(v) < 1e3), key).toBe(true);
    }
    optimizer.dispose();
    images.dispose();
  });

  it('stops on a non-finite loss before the update, with one line', async () => {
    manualSeed(0);
    const model = createModel('convnext_atto', TINY) as ImageClassifier;
    const inner = classificationTask(model, { numClasses: 4 });
    const task: Task<ClassificationBatch> = { ...inner, loss: (batch, ctx) => tf.mul(inner.loss(batch, ctx), NaN) as tf.Scalar };
    const images = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D;
    const batches = {
      length: 1,
      async *epoch() {
        yield { images: tf.clone(images), labels: tf.tensor1d([0, 1], 'int32') };
      },
    };
    const params = model.namedParameters().map(([name, p]) => ({ name, variable: p.variable }));
    const before = model.namedParameters()[0][1].variable.dataSync().slice();
    const optimizer = new AdamW(params, { lr: 1e-3 });
    const trainer = new Trainer({ task, optimizer, scheduler: new LrScheduler(constant({ baseLr: 1e-3 })), train: batches, epochs: 1 });
    await expect(trainer.run()).rejects.toThrow(/^training diverged: loss is NaN at step 1$/);
    expect(Array.from(model.namedParameters()[0][1].variable.dataSync())).toEqual(Array.from(before));
    optimizer.dispose();
    images.dispose();
  });
});
