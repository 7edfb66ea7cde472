import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random';
import {
  applyRandAugmentOp,
  parseRandAugmentConfig,
  randAugment,
  RAND_INCREASING_TRANSFORMS,
  type RandAugmentOpName,
} from '../src/transforms/randAugment';
import { rotate, translateX } from '../src/transforms/geometric';
import { gradientImage, pixel } from './helpers';

/** An RNG whose draws are all `value` (forces the random sign: > 0.5 negates). */
function constantRng(value: number): Rng {
  const rng = new Rng(0);
  rng.random = () => value;
  return rng;
}

describe('parseRandAugmentConfig', () => {
  it('parses timm config strings', () => {
    expect(parseRandAugmentConfig('rand-m9-mstd0.5-inc1')).toMatchObject({ magnitude: 9, magnitudeStd: 0.5, increasing: true, numLayers: 2 });
    expect(parseRandAugmentConfig('rand-m5-inc1-mstd101')).toMatchObject({ magnitude: 5, magnitudeStd: Infinity, increasing: true });
    expect(parseRandAugmentConfig('rand-n3-m10')).toMatchObject({ magnitude: 10, numLayers: 3, increasing: false });
    expect(() => parseRandAugmentConfig('auto-m9')).toThrow(/must start with "rand"/);
    expect(() => parseRandAugmentConfig('rand-q9')).toThrow(/unknown key "q"/);
  });

  it('inc1 selects timm _RAND_INCREASING_TRANSFORMS', () => {
    const t = randAugment('rand-m9-mstd0.5-inc1');
    expect(t.spec.options.ops).toEqual([...RAND_INCREASING_TRANSFORMS]);
    expect(t.spec.options.ops).toHaveLength(15);
  });
});

describe('RandAugment ops on a known image', () => {
  const image = gradientImage(8, 8);
  const op = (name: RandAugmentOpName, level: number, sign = 0.1) => applyRandAugmentOp(name, image, level, constantRng(sign));

  it('Invert', () => {
    expect(pixel(op('Invert', 5), 3, 2)).toEqual([253, 252, 250]);
  });

  it('PosterizeIncreasing: level 5 keeps 4 - int(2) = 2 bits, level 10 keeps 0 bits', () => {
    const img = { data: new Uint8Array([255, 200, 77]), height: 1, width: 1, channels: 3 };
    expect(Array.from(applyRandAugmentOp('PosterizeIncreasing', img, 5, new Rng(0)).data)).toEqual([192, 192, 64]);
    expect(Array.from(applyRandAugmentOp('PosterizeIncreasing', img, 10, new Rng(0)).data)).toEqual([0, 0, 0]);
    expect(Array.from(applyRandAugmentOp('Posterize', img, 10, new Rng(0)).data)).toEqual([240, 192, 64]);
  });

  it('SolarizeIncreasing inverts values >= 256 - int(level/10*256)', () => {
    const img = { data: new Uint8Array([10, 127, 128, 200]), height: 1, width: 4, channels: 1 };
    // level 5 → threshold 128
    expect(Array.from(applyRandAugmentOp('SolarizeIncreasing', img, 5, new Rng(0)).data)).toEqual([10, 127, 127, 55]);
    expect(Array.from(applyRandAugmentOp('SolarizeIncreasing', img, 0, new Rng(0)).data)).toEqual([10, 127, 128, 200]);
    // SolarizeAdd level 10 → +110 below 128
    expect(Array.from(applyRandAugmentOp('SolarizeAdd', img, 10, new Rng(0)).data)).toEqual([120, 237, 128, 200]);
  });

  it('AutoContrast stretches each channel to [0, 255]; Equalize spreads a two-level channel', () => {
    const img = { data: new Uint8Array([50, 100, 150, 150]), height: 2, width: 2, channels: 1 };
    expect(Array.from(applyRandAugmentOp('AutoContrast', img, 0, new Rng(0)).data)).toEqual([0, 127, 255, 255]);
    // PIL: too few pixels for a step → identity
    expect(Array.from(applyRandAugmentOp('Equalize', img, 0, new Rng(0)).data)).toEqual([50, 100, 150, 150]);
    // 600 pixels each of 10, 20, 30: step = 1200 // 255 = 4; lut = n // step with n = 2, 602, 1202 → 0, 150, 300→255
    const three = { data: new Uint8Array(1800).map((_, i) => 10 * (1 + Math.floor(i / 600))), height: 30, width: 60, channels: 1 };
    const eq = applyRandAugmentOp('Equalize', three, 0, new Rng(0));
    expect([eq.data[0], eq.data[600], eq.data[1200]]).toEqual([0, 150, 255]);
  });

  it('Rotate by 90 degrees is np.rot90 (counter-clockwise) on a square image', () => {
    for (const interpolation of ['nearest', 'bilinear', 'bicubic'] as const) {
      const out = rotate(image, 90, [128, 128, 128], interpolation);
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(pixel(out, y, x)).toEqual(pixel(image, x, 7 - y));
    }
    // 180 degrees: point reflection through the centre
    const half = rotate(image, 180, [0, 0, 0], 'bicubic');
    expect(pixel(half, 1, 2)).toEqual(pixel(image, 6, 5));
    // the RandAugment level mapping: level 10 → 30 degrees, sign negated when U > 0.5
    const plus = op('Rotate', 10, 0.1);
    const minus = op('Rotate', 10, 0.9);
    expect(Array.from(plus.data)).toEqual(Array.from(rotate(image, 30, [128, 128, 128]).data));
    expect(Array.from(minus.data)).toEqual(Array.from(rotate(image, -30, [128, 128, 128]).data));
  });

  it('TranslateXRel shifts content by level/10 * 0.45 * width with grey fill', () => {
    const wide = gradientImage(4, 20);
    // level 10 → 0.45 * 20 = 9 pixels; positive sign samples x + 9 (content moves left)
    const out = applyRandAugmentOp('TranslateXRel', wide, 10, constantRng(0.1));
    expect(pixel(out, 2, 0)).toEqual(pixel(wide, 2, 9));
    expect(pixel(out, 2, 10)).toEqual(pixel(wide, 2, 19));
    expect(pixel(out, 2, 11)).toEqual([128, 128, 128]);
    const back = applyRandAugmentOp('TranslateXRel', wide, 10, constantRng(0.9));
    expect(pixel(back, 1, 9)).toEqual(pixel(wide, 1, 0));
    expect(pixel(back, 1, 8)).toEqual([128, 128, 128]);
    expect(Array.from(translateX(wide, 0, [0]).data)).toEqual(Array.from(wide.data));
  });

  it('ShearX moves rows proportionally to y', () => {
    const out = applyRandAugmentOp('ShearX', gradientImage(10, 10), 10, constantRng(0.1), { interpolation: 'nearest' });
    // factor 0.3: output centre (x+0.5, y+0.5) samples input x = x + 0.5 + 0.3·(y + 0.5); row 9 → 3.35 → pixel 3
    expect(pixel(out, 0, 0)[0]).toBe(0);
    expect(pixel(out, 9, 0)[0]).toBe(3);
    expect(pixel(out, 9, 5)[0]).toBe(8);
  });

  it('increasing enhance ops at level 0 are the identity (factor 1)', () => {
    for (const name of ['ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing'] as const) {
      expect(Array.from(op(name, 0).data)).toEqual(Array.from(image.data));
    }
    // BrightnessIncreasing level 10 with positive sign → factor 1.9; PIL blend truncates: 5·1.9 = 9.5 → 9
    expect(pixel(op('BrightnessIncreasing', 10, 0.1), 0, 5)[0]).toBe(9);
    // ContrastIncreasing level 10, negative sign → factor 0.1 towards the mean grey (PIL L = round(.299R+.587G+.114B))
    const two = { data: new Uint8Array([0, 0, 0, 200, 200, 200]), height: 1, width: 2, channels: 3 };
    expect(Array.from(applyRandAugmentOp('ContrastIncreasing', two, 10, constantRng(0.9)).data)).toEqual([90, 90, 90, 110, 110, 110]);
    // ColorIncreasing → factor 0.1 towards the pixel's own grey level: (255,0,0) has L = 76
    const red = { data: new Uint8Array([255, 0, 0]), height: 1, width: 1, channels: 3 };
    expect(Array.from(applyRandAugmentOp('ColorIncreasing', red, 10, constantRng(0.9)).data)).toEqual([93, 68, 68]);
  });
});

describe('randAugment transform', () => {
  it('is deterministic per seed and changes the image', () => {
    const image = gradientImage(16, 16);
    const t = randAugment({ magnitude: 9, magnitudeStd: 0.5, increasing: true, prob: 1 });
    const a = t.apply(image, new Rng(1));
    expect(Array.from(a.data)).toEqual(Array.from(t.apply(image, new Rng(1)).data));
    const changed = Array.from({ length: 10 }, (_, s) => Array.from(t.apply(image, new Rng(s)).data).join() !== Array.from(image.data).join());
    expect(changed.filter(Boolean).length).toBeGreaterThan(7);
  });

  it('works on 1-channel images and survives a JSON round trip of mstd > 100 (uniform magnitude)', () => {
    const gray = { data: new Uint8Array(64).map((_, i) => i * 4), height: 8, width: 8, channels: 1 };
    const t = randAugment('rand-m9-mstd101-inc1-p1');
    expect(t.spec.options.magnitudeStd).toBe(-1);
    for (let seed = 0; seed < 20; seed++) {
      const out = t.apply(gray, new Rng(seed));
      expect([out.height, out.width, out.channels, out.data.length]).toEqual([8, 8, 1, 64]);
      expect(Array.from(randAugment(JSON.parse(JSON.stringify(t.spec.options))).apply(gray, new Rng(seed)).data)).toEqual(Array.from(out.data));
    }
  });

  it('magnitude 0 with prob 1 leaves colour ops neutral', () => {
    const image = gradientImage(6, 6);
    const t = randAugment({ magnitude: 0, prob: 1, ops: ['BrightnessIncreasing', 'Rotate', 'ShearX'] });
    expect(Array.from(t.apply(image, new Rng(4)).data)).toEqual(Array.from(image.data));
  });
});
