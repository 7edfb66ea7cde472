import { describe, expect, it } from 'vitest';
import { efficientNetV2Schedule, ProgressiveSchedule } from '../src/progressive';

describe('EfficientNetV2 progressive learning (EfficientNetV2 paper; official effnetv2_model.py)', () => {
  it('S: sizes 171/214/257/300, RandAugment 5/6.67/8.33/10, no mixup', () => {
    const schedule = efficientNetV2Schedule('s', 350);
    expect(schedule.stages.map((s) => s.imageSize)).toEqual([171, 214, 257, 300]);
    expect(schedule.stages.map((s) => +s.randAugmentMagnitude!.toFixed(2))).toEqual([5, 6.67, 8.33, 10]);
    expect(schedule.stages.map((s) => s.mixupAlpha)).toEqual([0, 0, 0, 0]);
  });

  it('B0: sizes 144/160/176/192; M/L sizes and mixup alphas', () => {
    expect(efficientNetV2Schedule('b0', 100).stages.map((s) => s.imageSize)).toEqual([144, 160, 176, 192]);
    expect(efficientNetV2Schedule('b2', 100).stages.map((s) => s.imageSize)).toEqual([148, 168, 188, 208]);
    expect(efficientNetV2Schedule('b3', 100).stages.map((s) => s.imageSize)).toEqual([156, 184, 212, 240]);
    const m = efficientNetV2Schedule('m', 100);
    expect(m.stages.map((s) => s.imageSize)).toEqual([192, 256, 320, 384]);
    expect(m.stages.map((s) => +s.mixupAlpha.toFixed(3))).toEqual([0, 0.067, 0.133, 0.2]);
    expect(efficientNetV2Schedule('l', 100).stages.map((s) => +s.cutmixAlpha.toFixed(3))).toEqual([0, 0.167, 0.333, 0.5]);
    expect(efficientNetV2Schedule('l', 100).stages.map((s) => s.randAugmentMagnitude)).toEqual([5, 10, 15, 20]);
  });

  it('stageFor splits training into equal chunks (epochs or steps)', () => {
    const schedule = efficientNetV2Schedule('s', 100);
    expect([0, 24, 25, 49, 50, 75, 99, 150].map((e) => schedule.stageFor(e).stage)).toEqual([0, 0, 1, 1, 2, 3, 3, 3]);
    const steps = new ProgressiveSchedule({ trainSize: 64, ibase: 32, stages: 2, total: 1000, dropout: [0.1, 0.3] });
    expect(steps.stageFor(499).imageSize).toBe(48);
    expect(steps.stageFor(500).imageSize).toBe(64);
    expect(steps.stageFor(500).dropout).toBeCloseTo(0.3, 6);
    expect(() => efficientNetV2Schedule('z', 10)).toThrow(/unknown variant/);
  });

  it('refuses a schedule that would shrink images (ibase above the final size)', () => {
    expect(() => new ProgressiveSchedule({ trainSize: 96, total: 10 })).toThrow(
      /^ProgressiveSchedule: ibase 128 is larger than the final train size 96; progressive learning only grows images$/,
    );
  });
});
