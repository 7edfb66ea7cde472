import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAMW_UPDATE_KERNEL, AdamW, type Grads, type NamedParam, type ParamGroup } from '../src/index';
import { useCpu } from './helpers';

/**
 * AdamW with the fused update kernel (registered for wasm by @nextnets/backend) against the composite path it
 * replaces: parameters and both moments must hold the same float32 bits after every step, on random odd shapes, two
 * groups (decay / no decay with an lr multiplier) and a changing lr.
 */
const SHAPES: number[][] = [[7, 7, 13, 1], [13], [33, 130], [1], [], [5, 3, 2]];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

const values = (shape: number[], r: () => number, scale = 1) =>
  Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * scale);

interface Run {
  params: Float32Array[];
  slots: Float32Array[];
  fused: boolean;
}

/** Four AdamW steps from fixed initial values and gradients; returns everything the optimizer holds afterwards. */
async function train(backend: 'cpu' | 'wasm', fused: boolean): Promise<Run> {
  await tf.setBackend(backend);
  const r = rng(5);
  const params: NamedParam[] = SHAPES.map((shape, i) => ({
    name: `p${i}`,
    variable: tf.variable(tf.tensor(values(shape, r), shape, 'float32')),
  }));
  const groups: ParamGroup[] = [
    { params: params.filter((_, i) => i % 2 === 0), weightDecay: 0.05 },
    { params: params.filter((_, i) => i % 2 === 1), weightDecay: 0, lrScale: 0.5 },
  ];
  const optimizer = new AdamW(groups, { lr: 4e-3, betas: [0.9, 0.95], eps: 1e-6, fused });
  const usedFused = optimizer.fusedKernelAvailable();
  for (let step = 0; step < 4; step++) {
    // Gradients over several magnitudes, so that eps and the bias corrections matter.
    const grads: Grads = Object.fromEntries(
      SHAPES.map((shape, i) => [`p${i}`, tf.tensor(values(shape, r, 10 ** ((step + i) % 5 - 3)), shape, 'float32')]),
    );
    optimizer.step(grads, 4e-3 * (1 - step / 8));
    tf.dispose(Object.values(grads));
  }
  const state = optimizer.state();
  const slots = [...state.tensors.keys()].sort().map((k) => Float32Array.from(state.tensors.get(k)!.dataSync()));
  tf.dispose([...state.tensors.values()]);
  const result = { params: params.map((p) => Float32Array.from(p.variable.dataSync())), slots, fused: usedFused };
  optimizer.dispose();
  tf.dispose(params.map((p) => p.variable));
  return result;
}

function firstDifference(actual: Float32Array[], expected: Float32Array[]): string | null {
  for (let t = 0; t < expected.length; t++) {
    const i = actual[t].findIndex((x, j) => !Object.is(x, expected[t][j]));
    if (i >= 0) return `tensor ${t} [${i}]: ${actual[t][i]} != ${expected[t][i]}`;
  }
  return null;
}

describe('AdamW fused update kernel', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  afterAll(useCpu);

  it('is used on wasm unless disabled or amsgrad; never on cpu', async () => {
    await tf.setBackend('wasm');
    expect(tf.getKernel(ADAMW_UPDATE_KERNEL, 'wasm')).toBeDefined();
    const p = [{ name: 'w', variable: tf.variable(tf.zeros([3])) }];
    expect(new AdamW(p).fusedKernelAvailable()).toBe(true);
    expect(new AdamW(p, { fused: false }).fusedKernelAvailable()).toBe(false);
    expect(new AdamW(p, { amsgrad: true }).fusedKernelAvailable()).toBe(false);
    await useCpu();
    expect(new AdamW(p).fusedKernelAvailable()).toBe(false);
    p[0].variable.dispose();
  });

  it('gives the same parameters and moments, bit for bit, as the composite path on wasm and on cpu', async () => {
    const fused = await train('wasm', true);
    const compositeWasm = await train('wasm', false);
    const compositeCpu = await train('cpu', true); // no kernel on cpu: composite
    expect([fused.fused, compositeWasm.fused, compositeCpu.fused]).toEqual([true, false, false]);
    expect(firstDifference(fused.params, compositeWasm.params)).toBeNull();
    expect(firstDifference(fused.slots, compositeWasm.slots)).toBeNull();
    expect(firstDifference(fused.params, compositeCpu.params)).toBeNull();
    expect(firstDifference(fused.slots, compositeCpu.slots)).toBeNull();
    // And the steps moved the parameters.
    const initial = Float32Array.from(values(SHAPES[0], rng(5)));
    expect(firstDifference([fused.params[0]], [initial])).not.toBeNull();
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const variable = tf.variable(tf.ones([17, 3]));
    const optimizer = new AdamW([{ name: 'w', variable }], { lr: 1e-2 });
    const grad = tf.fill([17, 3], 0.5);
    optimizer.step({ w: grad });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) optimizer.step({ w: grad });
    expect(tf.memory().numTensors).toBe(before);
    expect(variable.dataSync()[0]).toBeLessThan(1);
    optimizer.dispose();
    tf.dispose([variable, grad]);
  });
});
