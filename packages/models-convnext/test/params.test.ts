import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from './helpers.js';
import { withShapeOnlyInit } from '@nextnets/core-layers';
import { createModel, listModels } from '../src/index.js';

/** Parameter counts with a 1000-class head: ConvNeXt paper; timm convnext.py / ConvNeXt V2 paper; official convnextv2.py / InceptionNeXt paper; timm inception_next.py tables. */
const EXPECTED: Record<string, number> = {
  convnext_atto: 3_695_520,
  convnext_femto: 5_217_784,
  convnext_pico: 9_045_672,
  convnext_nano: 15_593_560,
  convnext_tiny: 28_589_128,
  convnext_small: 50_223_688,
  convnext_base: 88_591_464,
  convnext_large: 197_767_336,
  convnext_xlarge: 350_196_968,
  convnextv2_atto: 3_708_400,
  convnextv2_femto: 5_233_240,
  convnextv2_pico: 9_066_280,
  convnextv2_nano: 15_623_800,
  convnextv2_tiny: 28_635_496,
  convnextv2_small: 50_318_440,
  convnextv2_base: 88_717_800,
  convnextv2_large: 197_956_840,
  convnextv2_huge: 660_289_640,
  inception_next_atto: 4_156_520,
  inception_next_tiny: 28_055_680,
  inception_next_small: 49_374_016,
  inception_next_base: 86_672_136,
};

beforeAll(useWasm);

describe('registered variants', () => {
  it('registers exactly the timm names of the three families', () => {
    const names = [...listModels('convnext'), ...listModels('inception_next')];
    expect(new Set(names)).toEqual(new Set(Object.keys(EXPECTED)));
  });

  it.each(Object.entries(EXPECTED))('%s has the spec parameter count with 1000 classes', (name, count) => {
    const model = withShapeOnlyInit(() => createModel(name));
    expect(model.numParams()).toBe(count);
  });

  it('matches the fixture manifests with 10 classes', () => {
    const tenClass = (name: string): number => withShapeOnlyInit(() => createModel(name, { numClasses: 10 })).numParams();
    expect(tenClass('convnext_atto')).toBe(3_377_730);
    expect(tenClass('convnextv2_atto')).toBe(3_390_610);
    expect(tenClass('inception_next_atto')).toBe(3_205_130);
    expect(tenClass('convnext_tiny')).toBe(27_827_818);
  });

  it('rejects unknown or malformed overrides with one line', () => {
    expect(() => createModel('convnext_atto', { numClass: 10 })).toThrow(/^convnext_atto: unknown override 'numClass' \(accepted: /);
    expect(() => createModel('inception_next_atto', { headInitScale: 0.001 })).toThrow(/unknown override 'headInitScale'/);
    expect(() => createModel('convnextv2_atto', { depths: [2, 2] })).toThrow(/'dims' has 4 stages but 'depths' has 2/);
    expect(() => createModel('convnext_atto', { patchSize: 0 })).toThrow(/override 'patchSize' must be/);
    expect(() => createModel('inception_next_atto', { bandKernelSize: 8 })).toThrow(/must be odd/);
  });
});
