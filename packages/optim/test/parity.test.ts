import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '@nextnets/backend';
import {
  AdamW,
  SGD,
  RMSPropTF,
  LAMB,
  binaryCrossEntropyWithLogits,
  clipGradNorm,
  crossEntropy,
  softTargetCrossEntropy,
  type Grads,
  type NamedParam,
  type Optimizer,
  type ParamGroup,
} from '../src/index';
import { disposeParams, makeParam, maxViolation, useCpu } from './helpers';

interface Reference {
  params: { name: string; shape: number[]; values: number[] }[];
  grads: Record<string, number[]>[];
  lrs: number[];
  configs: Record<
    string,
    {
      optimizer: 'AdamW' | 'SGD' | 'RMSPropTF' | 'LAMB';
      options: Record<string, unknown>;
      groups: { names: string[]; lrScale: number; weightDecay: number }[];
      after: Record<string, number[]>[];
    }
  >;
  clip: { maxNorm: number; totalNorm: number; clipped: Record<string, number[]> };
  losses: {
    logits: number[];
    shape: [number, number];
    labels: number[];
    smoothing: number;
    crossEntropy: number;
    labelSmoothingCrossEntropy: number;
    softTargets: number[];
    softTargetCrossEntropy: number;
    bceLogits: number[];
    bceTargets: number[];
    binaryCrossEntropyWithLogits: number;
  };
}

const reference = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/optim_reference.json', import.meta.url)), 'utf8'),
) as Reference;
const TOL = 1e-6;

function createOptimizer(kind: string, groups: ParamGroup[], options: Record<string, unknown>): Optimizer {
  if (kind === 'AdamW') return new AdamW(groups, options);
  if (kind === 'SGD') return new SGD(groups, options);
  if (kind === 'RMSPropTF') return new RMSPropTF(groups, options);
  if (kind === 'LAMB') return new LAMB(groups, options);
  throw new Error(`unknown optimizer ${kind}`);
}

function gradsAt(step: number, shapes: Map<string, number[]>): Grads {
  const grads: Grads = {};
  for (const [name, values] of Object.entries(reference.grads[step])) grads[name] = tf.tensor(values, shapes.get(name));
  return grads;
}

describe('numeric parity with PyTorch (test/fixtures/optim_reference.json)', () => {
  beforeAll(useCpu);
  const shapes = new Map(reference.params.map((p) => [p.name, p.shape]));

  /** Runs a reference config step by step and checks every parameter after every step. */
  function checkConfig(configName: string, config: Reference['configs'][string], fused?: boolean): void {
    const params: NamedParam[] = reference.params.map((p) => makeParam(p.name, p.shape, p.values));
    const byName = new Map(params.map((p) => [p.name, p]));
    const groups: ParamGroup[] = config.groups.map((g) => ({
      params: g.names.map((n) => byName.get(n) as NamedParam),
      lrScale: g.lrScale,
      weightDecay: g.weightDecay,
    }));
    const optimizer = createOptimizer(config.optimizer, groups, config.options);
    if (fused !== undefined) expect((optimizer as AdamW).fusedKernelAvailable()).toBe(fused);
    for (let step = 0; step < config.after.length; step++) {
      const grads = gradsAt(step, shapes);
      optimizer.step(grads, reference.lrs[step]);
      tf.dispose(Object.values(grads));
      for (const p of params) {
        const worst = maxViolation(p.variable.dataSync(), config.after[step][p.name], TOL);
        expect(worst, `${configName} step ${step} ${p.name}`).toBeLessThanOrEqual(1);
      }
    }
    optimizer.dispose();
    disposeParams(params);
  }

  for (const [configName, config] of Object.entries(reference.configs)) {
    it(`${configName}: parameters after each of ${config.after.length} steps match torch to 1e-6`, () => {
      checkConfig(configName, config);
    });
  }

  it('adamw with the fused update kernel (wasm, @nextnets/backend) matches torch to 1e-6', async () => {
    await setupBackend('wasm');
    try {
      checkConfig('adamw (fused, wasm)', reference.configs.adamw, true);
    } finally {
      await useCpu();
    }
  });

  it('clipGradNorm matches torch.nn.utils.clip_grad_norm_', () => {
    const grads = gradsAt(0, shapes);
    const total = clipGradNorm(grads, reference.clip.maxNorm);
    expect(Math.abs(total - reference.clip.totalNorm) / reference.clip.totalNorm).toBeLessThan(TOL);
    for (const [name, values] of Object.entries(reference.clip.clipped)) {
      expect(maxViolation(grads[name].dataSync(), values, TOL), name).toBeLessThanOrEqual(1);
    }
    tf.dispose(Object.values(grads));
  });

  it('losses match torch', () => {
    const ref = reference.losses;
    const logits = tf.tensor2d(ref.logits, ref.shape);
    const check = (loss: tf.Scalar, expected: number) => {
      expect(maxViolation(loss.dataSync(), [expected], TOL)).toBeLessThanOrEqual(1);
      loss.dispose();
    };
    check(crossEntropy(logits, ref.labels), ref.crossEntropy);
    check(crossEntropy(logits, ref.labels, { labelSmoothing: ref.smoothing }), ref.labelSmoothingCrossEntropy);
    const soft = tf.tensor2d(ref.softTargets, ref.shape);
    check(softTargetCrossEntropy(logits, soft), ref.softTargetCrossEntropy);
    const bceLogits = tf.tensor2d(ref.bceLogits, ref.shape);
    const bceTargets = tf.tensor2d(ref.bceTargets, ref.shape);
    check(binaryCrossEntropyWithLogits(bceLogits, bceTargets), ref.binaryCrossEntropyWithLogits);
    tf.dispose([logits, soft, bceLogits, bceTargets]);
  });
});
