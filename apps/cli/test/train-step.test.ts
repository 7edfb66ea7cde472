/** The training step leaks no tensors (with mixup targets, label smoothing, clipping, EMA), and curves render. */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides } from '../src/recipes/overrides';
import { loadRecipe } from '../src/recipes/load';
import { createTrainingSetup } from '../src/train/setup';
import { trainStep } from '../src/train/step';
import { renderCurves } from '@nextnets/train';

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('training step', () => {
  it('keeps tf.memory().numTensors constant step after step', async () => {
    const { recipe: base } = loadRecipe('synthetic_smoke');
    const recipe = applyOverrides(base, { batchSize: 8 });
    recipe.augment.mixup = 0.8;
    recipe.augment.cutmix = 1.0;
    recipe.optimizer.clipGrad = 1.0;
    const setup = createTrainingSetup(recipe);
    const { model, params, optimizer, scheduler, ema } = setup;
    const counts: number[] = [];
    let steps = 0;
    for await (const batch of setup.train.epoch(0)) {
      expect(batch.targets).toBeDefined();
      const loss = trainStep(model, params, optimizer, batch, scheduler.lr, { smoothing: 0.1, l2WeightDecay: 1e-5, noDecay: (n) => model.noWeightDecay(n) }, 1.0);
      tf.dispose([batch.images, batch.labels, batch.targets!]);
      scheduler.advance();
      ema!.update();
      expect(Number.isFinite(loss)).toBe(true);
      counts.push(tf.memory().numTensors);
      if (++steps === 4) break;
    }
    await setup.train.close();
    expect(new Set(counts).size).toBe(1);
  });

  it('renders loss and accuracy curves as SVG', () => {
    const svg = renderCurves([
      { type: 'epoch', epoch: 0, step: 10, trainLoss: 2, evalLoss: 1.5, top1: 0.5, lr: 1e-3, seconds: 1 },
      { type: 'epoch', epoch: 1, step: 20, trainLoss: 1, evalLoss: 1.2, top1: 0.7, lr: 1e-4, seconds: 1 },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path d="M/g)).toHaveLength(3);
  });
});
