import { describe, expect, it } from 'vitest';
import {
  LrScheduler,
  constant,
  cosineWithWarmup,
  exponentialDecay,
  layerDecayLrScale,
  layerDecayScales,
  scaleLr,
  stepDecay,
} from '../src/index';

/** ConvNeXt utils.cosine_scheduler written out as arrays (np.linspace warmup + cosine over the rest). */
function convnextArray(base: number, final: number, total: number, warmup: number, start: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < warmup; i++) out.push(warmup === 1 ? start : start + ((base - start) * i) / (warmup - 1));
  const rest = total - warmup;
  for (let i = 0; i < rest; i++) out.push(final + 0.5 * (base - final) * (1 + Math.cos((Math.PI * i) / rest)));
  return out;
}

describe('cosineWithWarmup', () => {
  it('matches the ConvNeXt per-iteration schedule (inclusive linspace warmup)', () => {
    const schedule = cosineWithWarmup({ baseLr: 4e-3, warmupSteps: 20, totalSteps: 100, minLr: 1e-6 });
    const expected = convnextArray(4e-3, 1e-6, 100, 20, 0);
    for (let i = 0; i < 100; i++) expect(schedule(i)).toBeCloseTo(expected[i], 15);
    expect(schedule(0)).toBe(0);
    expect(schedule(19)).toBeCloseTo(4e-3, 15);
    expect(schedule(20)).toBeCloseTo(4e-3, 15);
    expect(schedule(60)).toBeCloseTo(1e-6 + 0.5 * (4e-3 - 1e-6), 15);
    expect(schedule(100)).toBe(1e-6);
    expect(schedule(5000)).toBe(1e-6);
  });

  it('FCMAE/MAE exclusive warmup reaches baseLr at step warmupSteps', () => {
    const schedule = cosineWithWarmup({ baseLr: 2.4e-3, warmupSteps: 40, totalSteps: 400, warmupStyle: 'exclusive' });
    expect(schedule(0)).toBe(0);
    expect(schedule(10)).toBeCloseTo(2.4e-3 / 4, 15);
    expect(schedule(40)).toBeCloseTo(2.4e-3, 15);
    expect(schedule(220)).toBeCloseTo(1.2e-3, 15);
  });

  it('warms up from warmupLr and validates input', () => {
    const schedule = cosineWithWarmup({ baseLr: 1, warmupSteps: 3, totalSteps: 10, warmupLr: 0.1 });
    expect([0, 1, 2].map(schedule)).toEqual([0.1, 0.55, 1]);
    expect(() => cosineWithWarmup({ baseLr: 1, warmupSteps: 10, totalSteps: 10 })).toThrow('totalSteps must be an integer > warmupSteps');
    expect(() => schedule(-1)).toThrow('step must be an integer >= 0');
    expect(() => schedule(1.5)).toThrow('step must be an integer >= 0');
  });
});

describe('exponentialDecay (EfficientNetV2)', () => {
  it('staircase ×0.97 every 2.4 epochs counted from step 0, exclusive warmup over 5 epochs', () => {
    const itersPerEpoch = 100;
    const lr = scaleLr(0.016, 4096);
    expect(lr).toBeCloseTo(0.256, 15);
    const schedule = exponentialDecay({ baseLr: lr, decayEvery: 2.4 * itersPerEpoch, rate: 0.97, warmupSteps: 5 * itersPerEpoch });
    expect(schedule(0)).toBe(0);
    expect(schedule(250)).toBeCloseTo(0.256 * 0.5, 15);
    // step 500 is past 2 full periods of 240 steps: floor(500/240) = 2
    expect(schedule(500)).toBeCloseTo(0.256 * 0.97 ** 2, 15);
    expect(schedule(719)).toBeCloseTo(0.256 * 0.97 ** 2, 15);
    expect(schedule(720)).toBeCloseTo(0.256 * 0.97 ** 3, 15);
    const smooth = exponentialDecay({ baseLr: 1, decayEvery: 10, rate: 0.5, staircase: false, minLr: 0.3 });
    expect(smooth(5)).toBeCloseTo(Math.SQRT1_2, 15);
    expect(smooth(100)).toBe(0.3);
  });
});

describe('stepDecay and constant', () => {
  it('stepDecay by stepSize or milestones', () => {
    const bySize = stepDecay({ baseLr: 0.1, stepSize: 30 });
    expect([0, 29, 30, 60].map(bySize).map((v) => +v.toPrecision(12))).toEqual([0.1, 0.1, 0.01, 0.001]);
    const byMilestones = stepDecay({ baseLr: 1, milestones: [5, 2], gamma: 0.5, warmupSteps: 2 });
    expect([0, 1, 2, 4, 5].map(byMilestones)).toEqual([0, 0.5, 0.5, 0.5, 0.25]);
    expect(() => stepDecay({ baseLr: 1 })).toThrow('exactly one of stepSize or milestones');
  });

  it('constant with warmup', () => {
    const schedule = constant({ baseLr: 1e-3, warmupSteps: 4 });
    expect([0, 2, 4, 1000].map(schedule)).toEqual([0, 5e-4, 1e-3, 1e-3]);
  });
});

describe('layer decay and lr scaling', () => {
  it('layerDecayScales = decay^(numLayers+1−i)', () => {
    const scales = layerDecayScales(12, 0.8);
    expect(scales).toHaveLength(14);
    expect(scales[13]).toBe(1);
    expect(scales[0]).toBeCloseTo(0.8 ** 13, 15);
    expect(scales[5]).toBeCloseTo(0.8 ** 8, 15);
  });

  it('layerDecayLrScale maps a model layerId to lr scales and rejects bad ids', () => {
    const layerId = (name: string) => (name.startsWith('head') ? 3 : name.startsWith('stem') ? 0 : Number(name.split('.')[1]) + 1);
    const lrScale = layerDecayLrScale(layerId, 2, 0.5);
    expect(['stem.0.weight', 'stages.0.x', 'stages.1.x', 'head.fc.weight'].map(lrScale)).toEqual([0.125, 0.25, 0.5, 1]);
    expect(() => layerDecayLrScale(() => 7, 2, 0.5)('a.b')).toThrow("layer id 7 of 'a.b' is outside 0..3");
  });

  it('scaleLr = blr·batch/256', () => {
    expect(scaleLr(1.5e-4, 4096)).toBeCloseTo(2.4e-3, 15);
    expect(scaleLr(2e-4, 1024)).toBeCloseTo(8e-4, 15);
    expect(() => scaleLr(1e-3, 0)).toThrow('batchSize must be a positive integer');
  });
});

describe('LrScheduler', () => {
  it('tracks the position and resumes from saved state', () => {
    const schedule = cosineWithWarmup({ baseLr: 1, warmupSteps: 2, totalSteps: 10 });
    const scheduler = new LrScheduler(schedule);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(scheduler.lr);
      scheduler.advance();
    }
    expect(seen).toEqual([0, 1, 1, schedule(3)]);
    const saved = JSON.parse(JSON.stringify(scheduler.state().json));
    const resumed = new LrScheduler(schedule);
    resumed.loadState({ json: saved, tensors: new Map() });
    expect(resumed.position).toBe(4);
    expect(resumed.lr).toBe(scheduler.lr);
    expect(() => resumed.loadState({ json: { kind: 'x' }, tensors: new Map() })).toThrow('LrScheduler.loadState');
  });
});
