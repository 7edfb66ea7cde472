import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random';
import { cutmixBox, mixupCutmix, mixupTargets } from '../src/transforms/mixupCutmix';

/** Batch of n constant images: image i is filled with value i. */
function constantBatch(n: number, h = 8, w = 8, c = 1) {
  const per = h * w * c;
  const images = new Float32Array(n * per);
  for (let i = 0; i < n; i++) images.fill(i, i * per, (i + 1) * per);
  return { images, labels: Int32Array.from({ length: n }, (_, i) => i % 3), shape: [n, h, w, c] as [number, number, number, number] };
}

function rowSums(targets: Float32Array, k: number): number[] {
  return Array.from({ length: targets.length / k }, (_, i) => targets.subarray(i * k, (i + 1) * k).reduce((a, b) => a + b, 0));
}

describe('mixupTargets', () => {
  it('smooths one-hots with off = s/K, on = 1 - s + off and mixes with the flipped batch', () => {
    const t = mixupTargets(Int32Array.from([0, 2]), 4, 1, 0.1);
    expect(Array.from(t.subarray(0, 4)).map((v) => +v.toFixed(4))).toEqual([0.925, 0.025, 0.025, 0.025]);
    const mixed = mixupTargets(Int32Array.from([0, 2]), 4, 0.7, 0);
    expect(Array.from(mixed.subarray(0, 4)).map((v) => +v.toFixed(4))).toEqual([0.7, 0, 0.3, 0]);
    expect(Array.from(mixed.subarray(4, 8)).map((v) => +v.toFixed(4))).toEqual([0.3, 0, 0.7, 0]);
  });
});

describe('mixupCutmix (batch mode)', () => {
  it('mixup: x_i = lam·x_i + (1−lam)·x_{N−1−i}, targets sum to 1', () => {
    const mix = mixupCutmix({ mixupAlpha: 0.8, cutmixAlpha: 0, labelSmoothing: 0.1, numClasses: 3 });
    const out = mix.apply(constantBatch(4), new Rng(1));
    expect(out.lam).toBeGreaterThan(0);
    expect(out.lam).toBeLessThan(1);
    expect(out.box).toBeUndefined();
    for (let i = 0; i < 4; i++) expect(out.images[i * 64 + 5]).toBeCloseTo(out.lam * i + (1 - out.lam) * (3 - i), 5);
    for (const s of rowSums(out.targets, 3)) expect(s).toBeCloseTo(1, 5);
  });

  it('cutmix: pastes the flipped batch inside the box and corrects lam to the box area', () => {
    const mix = mixupCutmix({ mixupAlpha: 0, cutmixAlpha: 1, labelSmoothing: 0, numClasses: 3 });
    for (let seed = 0; seed < 10; seed++) {
      const out = mix.apply(constantBatch(4, 16, 12, 2), new Rng(seed));
      if (out.lam === 1) continue;
      const [yl, yh, xl, xh] = out.box!;
      const area = (yh - yl) * (xh - xl);
      expect(out.lam).toBeCloseTo(1 - area / (16 * 12), 6);
      // image 0: pixels inside the box come from image 3
      let fromPartner = 0;
      for (let k = 0; k < 16 * 12 * 2; k++) if (out.images[k] === 3) fromPartner++;
      expect(fromPartner).toBe(area * 2);
      for (const s of rowSums(out.targets, 3)) expect(s).toBeCloseTo(1, 5);
      // target weight of the own label = lam (labels 0 and 0 for i=0,N-1=3 → both 0: check i=1 instead: 1 vs 2)
      expect(out.targets[1 * 3 + 1]).toBeCloseTo(out.lam, 5);
      expect(out.targets[1 * 3 + 2]).toBeCloseTo(1 - out.lam, 5);
    }
  });

  it('cutmixMinMax draws box sides in [min, max) of the image and switchProb picks cutmix', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 50; i++) {
      const { box, lam } = cutmixBox(20, 20, 0.5, rng, [0.2, 0.5]);
      expect(box[1] - box[0]).toBeGreaterThanOrEqual(4);
      expect(box[1] - box[0]).toBeLessThan(10);
      expect(lam).toBeCloseTo(1 - ((box[1] - box[0]) * (box[3] - box[2])) / 400, 6);
    }
    const always = mixupCutmix({ mixupAlpha: 0.8, cutmixAlpha: 1, switchProb: 1, numClasses: 3 });
    expect(always.apply(constantBatch(2), new Rng(5)).box).toBeDefined();
  });

  it('prob 0 leaves images alone but still smooths targets; odd batches are rejected', () => {
    const mix = mixupCutmix({ mixupAlpha: 1, prob: 0, labelSmoothing: 0.1, numClasses: 3 });
    const batch = constantBatch(2);
    const out = mix.apply(batch, new Rng(1));
    expect(out.lam).toBe(1);
    expect(out.images[64]).toBe(1);
    expect(out.targets[0]).toBeCloseTo(0.9 + 0.1 / 3, 6);
    expect(() => mix.apply(constantBatch(3), new Rng(1))).toThrow(/even/);
  });
});
