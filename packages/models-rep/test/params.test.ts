import { describe, expect, it } from 'vitest';
import { withShapeOnlyInit } from '@nextnets/core-layers';
import { createModel, listModels } from '../src/index.js';
import { useWasm } from './helpers.js';

useWasm();

// RepVGG paper; timm byobnet.py table: train-time / deploy-time parameter counts with 1000 classes.
const REPVGG: Record<string, [number, number]> = {
  repvgg_a0: [9_108_968, 8_309_384],
  repvgg_a1: [14_092_264, 12_789_864],
  repvgg_a2: [28_210_600, 25_499_944],
  repvgg_b0: [15_817_960, 14_339_048],
  repvgg_b1: [57_415_016, 51_829_480],
  repvgg_b1g2: [45_782_376, 41_360_104],
  repvgg_b1g4: [39_966_056, 36_125_416],
  repvgg_b2: [89_022_376, 80_315_112],
  repvgg_b2g2: [70_846_376, 63_956_712],
  repvgg_b2g4: [61_758_376, 55_777_512],
  repvgg_b3: [123_085_288, 110_960_872],
  repvgg_b3g2: [96_911_848, 87_404_776],
  repvgg_b3g4: [83_825_128, 75_626_728],
  repvgg_d2se: [133_334_836, 120_387_572],
};

// RepLKNet; official replknet.py table: params / params after the large-kernel merge.
const REPLKNET: Record<string, [number, number]> = {
  replknet_31b: [79_864_168, 79_527_272],
  replknet_31l: [172_671_016, 172_165_672],
  replknet_xl: [335_435_752, 335_399_656],
};

describe('parameter counts (spec tables, 1000 classes)', () => {
  it('registers every RepVGG variant', () => {
    expect(listModels('repvgg')).toEqual(Object.keys(REPVGG).sort());
  });

  it('registers every RepLKNet variant', () => {
    expect(listModels('replknet')).toEqual(Object.keys(REPLKNET).sort());
  });

  for (const [name, [train, deploy]] of Object.entries({ ...REPVGG, ...REPLKNET })) {
    it(`${name}: train ${train}, deploy ${deploy}`, () => {
      expect(withShapeOnlyInit(() => createModel(name)).numParams()).toBe(train);
      expect(withShapeOnlyInit(() => createModel(name, { deploy: true })).numParams()).toBe(deploy);
    });
  }
});
