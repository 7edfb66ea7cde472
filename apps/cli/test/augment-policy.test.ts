/** `augment.policy: crop`: pad-and-random-crop → flip → eval transform [→ RandomErasing], rebuilt identically in loader workers. */
import { Rng, transformFromSpec, type Image } from '@nextnets/data-augment';
import { describe, expect, it } from 'vitest';
import { validateRecipe } from '../src/recipes/load';
import { trainTransform } from '../src/train/data';

const base = {
  model: { name: 'convnext_atto', args: { inChans: 1 } },
  data: { dataset: 'fashion-mnist', imageSize: 12, cropPct: 1, interpolation: 'bilinear', mean: [0.5], std: [0.25] },
  optimizer: { lr: 1e-3 },
  schedule: { epochs: 1 },
  train: { batchSize: 8 },
};

/** A 12x12 grayscale image whose pixels are all distinct and non-zero. */
const image: Image = { data: Uint8Array.from({ length: 144 }, (_, i) => 10 + i), height: 12, width: 12, channels: 1 };

/** Undoes normalize ((v/255 − 0.5)/0.25) back to byte values. */
const bytes = (out: Image) => Array.from(out.data, (v) => Math.round((v * 0.25 + 0.5) * 255));

/** The 12x12 window at (top, left) of `image` padded by p with zeros. */
function window(p: number, top: number, left: number): number[] {
  const values: number[] = [];
  for (let y = 0; y < 12; y++) {
    for (let x = 0; x < 12; x++) {
      const sy = top + y - p;
      const sx = left + x - p;
      values.push(sy >= 0 && sy < 12 && sx >= 0 && sx < 12 ? image.data[sy * 12 + sx] : 0);
    }
  }
  return values;
}

describe("augment.policy 'crop'", () => {
  it('defaults cropPadding to 4 and rejects a negative one naming the key', () => {
    const recipe = validateRecipe({ ...base, augment: { policy: 'crop' } }, 'r.yaml');
    expect(recipe.augment.cropPadding).toBe(4);
    expect(() => validateRecipe({ ...base, augment: { policy: 'crop', cropPadding: -1 } }, 'r.yaml')).toThrow(/r\.yaml: invalid value for 'augment\.cropPadding'/);
    expect(() => validateRecipe({ ...base, augment: { policy: 'cutout' } }, 'r.yaml')).toThrow(/'augment\.policy'/);
  });

  it('is pad-and-crop, then flip, then the eval transform', () => {
    const recipe = validateRecipe({ ...base, augment: { policy: 'crop', cropPadding: 3, hflip: 0.5 } }, 'r.yaml');
    const t = trainTransform(recipe, 1);
    const steps = (t.spec as { transforms: Array<{ kind: string }> }).transforms;
    expect(steps.map((s) => s.kind)).toEqual(['randomCropPad', 'horizontalFlip', 'compose']);
    expect(steps[0]).toEqual({ kind: 'randomCropPad', options: { padding: 3, fill: 0 } });
    expect(steps[1]).toEqual({ kind: 'horizontalFlip', p: 0.5 });
    expect(steps[2]).toEqual(trainTransform({ ...recipe, augment: { ...recipe.augment, policy: 'none' } }, 1).spec);
  });

  it('outputs normalised windows of the zero-padded image, deterministic per seed and identical after a spec round trip', () => {
    const p = 2;
    const recipe = validateRecipe({ ...base, augment: { policy: 'crop', cropPadding: p, hflip: 0 } }, 'r.yaml');
    const t = trainTransform(recipe, 1);
    const rebuilt = transformFromSpec(JSON.parse(JSON.stringify(t.spec)));
    const windows = new Map<string, string>();
    for (let top = 0; top <= 2 * p; top++) for (let left = 0; left <= 2 * p; left++) windows.set(window(p, top, left).join(), `${top},${left}`);
    const seen = new Set<string>();
    for (let seed = 0; seed < 100; seed++) {
      const out = t.apply(image, new Rng(seed));
      expect([out.height, out.width, out.channels]).toEqual([12, 12, 1]);
      expect(out.data).toBeInstanceOf(Float32Array);
      const offset = windows.get(bytes(out).join());
      expect(offset, `seed ${seed}`).toBeDefined();
      seen.add(offset!);
      expect(Array.from(rebuilt.apply(image, new Rng(seed)).data)).toEqual(Array.from(out.data));
    }
    expect(seen.size).toBe(25);
  });

  it('ends with RandomErasing on the normalised image when reprob > 0, for crop and flip alike', () => {
    for (const policy of ['crop', 'flip'] as const) {
      const recipe = validateRecipe({ ...base, augment: { policy, hflip: 0, reprob: 1, remode: 'const', cropPadding: 0 } }, 'r.yaml');
      const steps = (trainTransform(recipe, 1).spec as { transforms: Array<{ kind: string; options?: object }> }).transforms;
      expect(steps.at(-1)).toMatchObject({ kind: 'randomErasing', options: { probability: 1, mode: 'const', count: 1 } });
      // reprob 1, const mode: every output has a box of exact zeros (erased after normalize, so not the value of byte 0)
      for (let seed = 0; seed < 10; seed++) {
        const out = trainTransform(recipe, 1).apply(image, new Rng(seed));
        const zeros = Array.from(out.data).filter((v) => v === 0).length;
        expect(zeros, `${policy} seed ${seed}`).toBeGreaterThanOrEqual(Math.floor(0.02 * 144));
        expect(zeros).toBeLessThan(144);
      }
    }
    const off = validateRecipe({ ...base, augment: { policy: 'crop', reprob: 0 } }, 'r.yaml');
    expect((trainTransform(off, 1).spec as { transforms: Array<{ kind: string }> }).transforms.map((s) => s.kind)).not.toContain('randomErasing');
  });
});
