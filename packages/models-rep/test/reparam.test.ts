import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { stateDict, type ModelOverrides } from '@nextnets/core-layers';
import { createModel, reparameterize } from '../src/index.js';
import { randomInput, randomizeBatchNorms, relMaxDiff, useWasm, values } from './helpers.js';

useWasm();

/** Eval-mode outputs before/after `reparameterize` on a small random config, and the fused keys vs a `deploy` build. */
function checkFusion(name: string, overrides: ModelOverrides, size: number): { rel: number; fusedKeys: Map<string, number[]> } {
  const model = createModel(name, overrides);
  randomizeBatchNorms(model);
  model.eval();
  const x = randomInput([2, size, size, 3]);
  const before = values(() => model.forward(x));
  reparameterize(model);
  const after = values(() => model.forward(x));
  const fusedKeys = new Map([...stateDict(model)].map(([k, v]) => [k, v.shape]));
  const deployed = createModel(name, { ...overrides, deploy: true });
  const deployKeys = new Map([...stateDict(deployed)].map(([k, v]) => [k, v.shape]));
  expect(fusedKeys).toEqual(deployKeys);
  x.dispose();
  model.dispose();
  deployed.dispose();
  return { rel: relMaxDiff(after, before), fusedKeys };
}

const tinyRepVgg = { depths: [1, 3, 3, 1], widths: [8, 16, 16, 32], stemChs: 8, numClasses: 5 };

describe('RepVGG reparameterize', () => {
  for (const groups of [2, 4]) {
    it(`grouped (g${groups}) blocks fuse exactly`, () => {
      const { rel, fusedKeys } = checkFusion('repvgg_b1g2', { ...tinyRepVgg, groups }, 32);
      expect(rel).toBeLessThan(1e-4);
      // Odd blocks are grouped: PyTorch weight [out, in/g, 3, 3]; even ones dense.
      expect(fusedKeys.get('stages.1.1.reparam_conv.weight')).toEqual([16, 16 / groups, 3, 3]);
      expect(fusedKeys.get('stages.1.2.reparam_conv.weight')).toEqual([16, 16, 3, 3]);
    });
  }

  it('squeeze-excite blocks (D2se form) fuse exactly', () => {
    const { rel, fusedKeys } = checkFusion('repvgg_d2se', tinyRepVgg, 32);
    expect(rel).toBeLessThan(1e-4);
    expect(fusedKeys.get('stages.2.1.attn.fc1.weight')).toEqual([1, 16, 1, 1]);
  });

  it('rejects unknown overrides with one line', () => {
    expect(() => createModel('repvgg_a0', { numClass: 10 })).toThrow(/^repvgg_a0: unknown override 'numClass'/);
    expect(() => createModel('replknet_31b', { depths: 'x' })).toThrow(/^replknet_31b: override 'depths' has invalid value/);
  });
});

const tinyRepLK = { channels: [8, 8, 16, 16], depths: [1, 1, 2, 1], numClasses: 5, dropPathRate: 0 };

describe('RepLKNet reparameterize (large-kernel merge)', () => {
  const cases: Array<[string, ModelOverrides]> = [
    ['K 7/7/7/5 with the spec small kernel 5', { kernels: [7, 7, 7, 5], smallKernel: 5 }],
    ['K 7/5/7/5 with small kernel 3', { kernels: [7, 5, 7, 5], smallKernel: 3 }],
    ['no small kernel (XL form), dw ratio 1.5', { kernels: [7, 7, 7, 5], smallKernel: null, dwRatio: 1.5 }],
  ];
  for (const [title, overrides] of cases) {
    it(title, () => {
      const { rel, fusedKeys } = checkFusion('replknet_31b', { ...tinyRepLK, ...overrides }, 32);
      expect(rel).toBeLessThan(1e-4);
      expect([...fusedKeys.keys()].some((k) => k.includes('lkb_origin') || k.includes('small_conv'))).toBe(false);
      expect(fusedKeys.get('stages.2.blocks.2.large_kernel.lkb_reparam.weight')).toEqual([16 * ((overrides.dwRatio as number) ?? 1), 1, 7, 7]);
    });
  }

  it('leaves no tensors behind', () => {
    const model = createModel('replknet_31b', { ...tinyRepLK, kernels: [7, 7, 7, 5] });
    const before = tf.memory().numTensors;
    const params = model.numParams();
    reparameterize(model);
    // Per merged conv: −(small conv weight + 2 BN params + 2 BN buffers + 2 BN params + 2 BN buffers) + bias.
    expect(tf.memory().numTensors).toBe(before - 5 * (1 + 4 + 4) + 5 * 1);
    expect(model.numParams()).toBeLessThan(params);
    model.dispose();
  });
});
