import { describe, expect, it } from 'vitest';
import { applyOverrides, effectiveLr } from '../src/recipes/overrides';
import { listBuiltinRecipes, loadRecipe, validateRecipe } from '../src/recipes/load';

const minimal = { model: { name: 'convnext_atto' }, optimizer: { lr: 1e-3 }, schedule: { epochs: 1 }, train: { batchSize: 8 } };

describe('recipes', () => {
  it('every built-in recipe validates', () => {
    const names = listBuiltinRecipes();
    expect(names).toEqual(expect.arrayContaining(['convnext_tiny_in1k', 'efficientnetv2_s_in1k', 'repvgg_a0_in1k', 'convnextv2_atto_fcmae', 'convnextv2_atto_finetune', 'fashion_mnist_quick', 'synthetic_smoke']));
    for (const name of names) expect(loadRecipe(name).recipe.model.name.length).toBeGreaterThan(0);
  });

  it('fills defaults', () => {
    const r = validateRecipe(minimal, 'x.yaml');
    expect(r.data.dataset).toBe('synthetic');
    expect(r.optimizer.name).toBe('adamw');
    expect(r.augment.mixup).toBe(0);
  });

  it('rejects unknown keys with the key path and the file', () => {
    expect(() => validateRecipe({ ...minimal, train: { batchSize: 8, epochz: 3 } }, 'r.yaml')).toThrow("r.yaml: unknown key 'train.epochz' in recipe");
    expect(() => validateRecipe({ ...minimal, optimiser: {} }, 'r.yaml')).toThrow("r.yaml: unknown key 'optimiser' in recipe");
  });

  it('rejects bad values naming the key', () => {
    expect(() => validateRecipe({ ...minimal, train: { batchSize: 0 } }, 'r.yaml')).toThrow(/r\.yaml: invalid value for 'train\.batchSize'/);
    expect(() => validateRecipe({ ...minimal, model: {} }, 'r.yaml')).toThrow(/'model\.name'/);
  });

  it('a name is one folder name: separators and .. would write outside runs/', () => {
    for (const name of ['../../../escaped', 'a/b', 'a\\b', '..', '.']) {
      expect(() => validateRecipe({ ...minimal, name }, 'r.yaml'), name).toThrow(/^r\.yaml: .*name.*plain folder name/);
    }
    expect(validateRecipe({ ...minimal, name: 'my-run_1.2' }, 'r.yaml').name).toBe('my-run_1.2');
  });

  it('an unknown recipe name lists the built-ins', () => {
    expect(() => loadRecipe('no_such_recipe')).toThrow(/unknown recipe 'no_such_recipe'.*fashion_mnist_quick/);
  });
});

describe('learning-rate scaling', () => {
  it('ConvNeXt: 4e-3 at batch 4096 scales linearly to the real batch', () => {
    const { recipe } = loadRecipe('convnext_tiny_in1k');
    expect(effectiveLr(applyOverrides(recipe, { batchSize: 4096 }))).toBeCloseTo(4e-3, 12);
    expect(effectiveLr(applyOverrides(recipe, { batchSize: 128 }))).toBeCloseTo(1.25e-4, 12);
  });

  it('EfficientNetV2: 0.016 per 256 images (0.256 at 4096)', () => {
    const { recipe } = loadRecipe('efficientnetv2_s_in1k');
    expect(effectiveLr(applyOverrides(recipe, { batchSize: 4096 }))).toBeCloseTo(0.256, 12);
  });

  it('--lr is absolute and disables the scaling', () => {
    const { recipe } = loadRecipe('convnext_tiny_in1k');
    expect(effectiveLr(applyOverrides(recipe, { batchSize: 64, lr: 1e-3 }))).toBe(1e-3);
  });

  it('a recipe without a base batch uses its lr as is', () => {
    expect(effectiveLr(validateRecipe(minimal, 'x'))).toBe(1e-3);
  });
});
