import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random';
import { resize } from '../src/resample';
import { flipImage, horizontalFlip } from '../src/transforms/horizontalFlip';
import { randomResizedCrop, sampleCropBox } from '../src/transforms/randomResizedCrop';
import { normalize, IMAGENET_MEAN, IMAGENET_STD } from '../src/transforms/normalize';
import { randomErasing } from '../src/transforms/randomErasing';
import { resizeCenterCrop } from '../src/transforms/resizeCenterCrop';
import { squashResize } from '../src/transforms/squashResize';
import { colorJitter } from '../src/transforms/colorJitter';
import { buildEvalTransform, buildTrainTransform } from '../src/transforms/factory';
import { transformFromSpec } from '../src/transforms/fromSpec';
import { gradientImage, pixel } from './helpers';

describe('resample', () => {
  it('is the identity at the same size and averages when halving (bilinear antialias)', () => {
    const image = gradientImage(8, 8);
    for (const interpolation of ['nearest', 'bilinear', 'bicubic'] as const) {
      expect(Array.from(resize(image, 8, 8, interpolation).data)).toEqual(Array.from(image.data));
    }
    const half = resize(image, 4, 4, 'bilinear');
    // triangle filter of support 2 around source centre 2x+1: weights 1,3,3,1 over x-1..x+2 → mean of x and x+1
    expect(pixel(half, 1, 1)[0]).toBe(Math.round((1 * 1 + 3 * 2 + 3 * 3 + 1 * 4) / 8));
    expect(pixel(resize(image, 4, 4, 'nearest'), 1, 2)).toEqual([5, 3, 8]);
  });
});

describe('horizontalFlip', () => {
  it('mirrors columns', () => {
    const image = gradientImage(3, 5);
    const flipped = flipImage(image);
    expect(pixel(flipped, 1, 0)).toEqual(pixel(image, 1, 4));
    expect(pixel(flipped, 2, 4)).toEqual(pixel(image, 2, 0));
  });

  it('flips with probability p', () => {
    const image = gradientImage(2, 4);
    expect(horizontalFlip(1).apply(image, new Rng(1)).data[0]).toBe(3);
    expect(horizontalFlip(0).apply(image, new Rng(1))).toBe(image);
    const rng = new Rng(2);
    const flips = Array.from({ length: 1000 }, () => horizontalFlip(0.5).apply(image, rng).data[0] === 3).filter(Boolean).length;
    expect(flips).toBeGreaterThan(430);
    expect(flips).toBeLessThan(570);
  });
});

describe('randomResizedCrop', () => {
  it('samples boxes inside the image with area and ratio in range', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 200; i++) {
      const box = sampleCropBox(60, 80, [0.08, 1], [3 / 4, 4 / 3], rng);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top + box.height).toBeLessThanOrEqual(60);
      expect(box.left + box.width).toBeLessThanOrEqual(80);
      expect(box.height * box.width).toBeGreaterThanOrEqual(0.07 * 60 * 80);
    }
  });

  it('falls back to a ratio-clamped center crop when no attempt fits', () => {
    // scale > 1 never fits: fallback on a 10x40 image with ratio max 4/3 → 10 x round(13.33) = 13 wide, centred
    expect(sampleCropBox(10, 40, [2, 3], [3 / 4, 4 / 3], new Rng(0))).toEqual({ top: 0, left: 13, height: 10, width: 13 });
    expect(sampleCropBox(20, 20, [2, 3], [3 / 4, 4 / 3], new Rng(0))).toEqual({ top: 0, left: 0, height: 20, width: 20 });
  });

  it('crops the right region: full-scale square crop of a square image is the image', () => {
    const image = gradientImage(16, 16);
    const out = randomResizedCrop({ size: 16, scale: [1, 1], ratio: [1, 1] }).apply(image, new Rng(9));
    expect(Array.from(out.data)).toEqual(Array.from(image.data));
    const small = randomResizedCrop({ size: 8, scale: [0.25, 0.25], ratio: [1, 1], interpolation: 'nearest' }).apply(image, new Rng(4));
    // an 8x8 crop at nearest = a contiguous block of the gradient: x and y step by 1
    expect(pixel(small, 0, 1)[0] - pixel(small, 0, 0)[0]).toBe(1);
    expect(pixel(small, 1, 0)[1] - pixel(small, 0, 0)[1]).toBe(1);
    expect(small.height).toBe(8);
  });

  it('is deterministic for a seed', () => {
    const image = gradientImage(30, 40);
    const t = randomResizedCrop({ size: 12, interpolation: 'bicubic' });
    expect(Array.from(t.apply(image, new Rng(11)).data)).toEqual(Array.from(t.apply(image, new Rng(11)).data));
    expect(Array.from(t.apply(image, new Rng(11)).data)).not.toEqual(Array.from(t.apply(image, new Rng(12)).data));
  });
});

describe('normalize', () => {
  it('maps bytes to (v/255 - mean)/std per channel', () => {
    const image = { data: new Uint8Array([255, 0, 128]), height: 1, width: 1, channels: 3 };
    const out = normalize().apply(image, new Rng(0));
    expect(out.data[0]).toBeCloseTo((1 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], 5);
    expect(out.data[1]).toBeCloseTo(-IMAGENET_MEAN[1] / IMAGENET_STD[1], 5);
    expect(out.data[2]).toBeCloseTo((128 / 255 - IMAGENET_MEAN[2]) / IMAGENET_STD[2], 5);
    expect(() => normalize().apply({ data: new Uint8Array(4), height: 2, width: 1, channels: 2 }, new Rng(0))).toThrow(/2 channels/);
  });
});

describe('randomErasing', () => {
  const ones = () => ({ data: new Float32Array(40 * 40 * 3).fill(1), height: 40, width: 40, channels: 3 });

  it('erases one box with area in [minArea, maxArea] (const mode → zeros)', () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = randomErasing({ probability: 1, mode: 'const' }).apply(ones(), new Rng(seed));
      const zeros = Array.from(out.data).filter((v) => v === 0).length / 3;
      expect(zeros).toBeGreaterThan(0.015 * 1600);
      expect(zeros).toBeLessThan(0.36 * 1600);
      // zeros form a rectangle: count per row is constant where non-zero
      const perRow = new Set<number>();
      for (let y = 0; y < 40; y++) {
        let n = 0;
        for (let x = 0; x < 40; x++) if (out.data[(y * 40 + x) * 3] === 0) n++;
        if (n > 0) perRow.add(n);
      }
      expect(perRow.size).toBe(1);
    }
  });

  it('pixel mode fills N(0,1) noise; p=0 leaves the image alone; bytes are rejected', () => {
    const out = randomErasing({ probability: 1, mode: 'pixel' }).apply(ones(), new Rng(3));
    const changed = Array.from(out.data).filter((v) => v !== 1);
    const mean = changed.reduce((s, v) => s + v, 0) / changed.length;
    expect(changed.length).toBeGreaterThan(50);
    expect(Math.abs(mean)).toBeLessThan(0.3);
    const image = ones();
    expect(randomErasing({ probability: 0 }).apply(image, new Rng(1))).toBe(image);
    expect(() => randomErasing({ probability: 1 }).apply(gradientImage(4, 4), new Rng(1))).toThrow(/after normalize/);
  });
});

describe('eval transforms', () => {
  it('resizes the shorter side to floor(size/cropPct) and center-crops', () => {
    const image = gradientImage(64, 128);
    // size 28, cropPct 0.875 → shorter side 32 (scale 0.5) → 32x64 → center crop 28x28 at (2, 18)
    const out = resizeCenterCrop({ size: 28, cropPct: 0.875, interpolation: 'nearest' }).apply(image, new Rng(0));
    expect([out.height, out.width]).toEqual([28, 28]);
    expect(pixel(out, 0, 0).slice(0, 2)).toEqual([2 * 18 + 1, 2 * 2 + 1]);
    const squashed = squashResize({ size: 16, interpolation: 'nearest' }).apply(image, new Rng(0));
    expect(pixel(squashed, 15, 15).slice(0, 2)).toEqual([124, 62]);
  });

  it('buildEvalTransform gives normalised float output of the requested size', () => {
    const out = buildEvalTransform({ size: 24 }).apply(gradientImage(40, 50), new Rng(0));
    expect(out.data).toBeInstanceOf(Float32Array);
    expect([out.height, out.width, out.channels]).toEqual([24, 24, 3]);
  });
});

describe('colorJitter and the train pipeline', () => {
  it('colorJitter is deterministic and brightness-only jitter scales pixels', () => {
    const image = gradientImage(10, 10);
    const t = colorJitter({ brightness: 0.4 });
    const a = t.apply(image, new Rng(1));
    expect(Array.from(a.data)).toEqual(Array.from(t.apply(image, new Rng(1)).data));
    const ratio = a.data[9 * 3] / image.data[9 * 3];
    expect(ratio).toBeGreaterThan(0.55);
    expect(ratio).toBeLessThan(1.45);
  });

  it('train transform round-trips through its spec and is seed-deterministic', () => {
    const t = buildTrainTransform({ size: 16, autoAugment: 'rand-m9-mstd0.5-inc1', reprob: 0.25 });
    expect(t.spec.kind).toBe('compose');
    const kinds = (t.spec as { transforms: { kind: string }[] }).transforms.map((s) => s.kind);
    // color jitter is skipped when RandAugment is set (timm create_transform)
    expect(kinds).toEqual(['randomResizedCrop', 'horizontalFlip', 'randAugment', 'normalize', 'randomErasing']);
    const rebuilt = transformFromSpec(JSON.parse(JSON.stringify(t.spec)));
    const image = gradientImage(30, 40);
    for (let seed = 0; seed < 5; seed++) {
      expect(Array.from(rebuilt.apply(image, new Rng(seed)).data)).toEqual(Array.from(t.apply(image, new Rng(seed)).data));
    }
    const noRa = buildTrainTransform({ size: 16 });
    expect((noRa.spec as { transforms: { kind: string }[] }).transforms.map((s) => s.kind)).toContain('colorJitter');
  });
});
