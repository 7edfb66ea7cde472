/**
 * EfficientNetV2 progressive learning (EfficientNetV2 paper; official effnetv2_model.py, EV2 `main.py`): training is split into N equal chunks; stage k uses
 * image size int(ibase + (trainSize − ibase)·(k+1)/N), RandAugment magnitude linspace(5, maxMag, N)[k] and
 * mixup/cutmix alpha linspace(0, alpha, N)[k]. Dropout is not changed per stage in the released code, so it is
 * only interpolated when a range is given.
 */

export interface ProgressiveOptions {
  /** Final (stage N−1) training image size. */
  trainSize: number;
  /** Number of stages (EV2: 4). */
  stages?: number;
  /** First-stage base size (EV2 `data.ibase` = 128). */
  ibase?: number;
  /** Max RandAugment magnitude (undefined: the model uses no RandAugment, e.g. B0–B3 with AutoAugment). */
  maxMagnitude?: number;
  /** Minimum RandAugment magnitude (EV2: 5). */
  minMagnitude?: number;
  mixupAlpha?: number;
  cutmixAlpha?: number;
  /** Optional [first, last] dropout rates to interpolate (paper variant; the released code keeps dropout fixed). */
  dropout?: [number, number];
  /** Length of training in epochs (or steps — `stageFor` takes the same unit). */
  total: number;
}

export interface ProgressiveStage {
  stage: number;
  /** First epoch/step of the stage (inclusive) and its end (exclusive). */
  start: number;
  end: number;
  imageSize: number;
  randAugmentMagnitude?: number;
  mixupAlpha: number;
  cutmixAlpha: number;
  dropout?: number;
}

/** numpy.linspace(start, stop, n)[k]. */
function linspace(start: number, stop: number, n: number, k: number): number {
  return n === 1 ? stop : start + ((stop - start) * k) / (n - 1);
}

export class ProgressiveSchedule {
  readonly stages: ProgressiveStage[];

  constructor(readonly options: ProgressiveOptions) {
    const n = options.stages ?? 4;
    const ibase = options.ibase ?? 128;
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`ProgressiveSchedule: stages must be a positive integer, got ${n}`);
    if (!(options.total > 0)) throw new Error(`ProgressiveSchedule: total must be > 0, got ${options.total}`);
    if (ibase > options.trainSize) {
      throw new Error(`ProgressiveSchedule: ibase ${ibase} is larger than the final train size ${options.trainSize}; progressive learning only grows images`);
    }
    this.stages = Array.from({ length: n }, (_, k) => ({
      stage: k,
      // EV2: stage k trains until max_steps = (k+1)/N · total
      start: Math.floor((k * options.total) / n),
      end: k === n - 1 ? options.total : Math.floor(((k + 1) * options.total) / n),
      imageSize: Math.trunc(ibase + ((options.trainSize - ibase) * (k + 1)) / n),
      randAugmentMagnitude: options.maxMagnitude === undefined ? undefined : linspace(options.minMagnitude ?? 5, options.maxMagnitude, n, k),
      mixupAlpha: linspace(0, options.mixupAlpha ?? 0, n, k),
      cutmixAlpha: linspace(0, options.cutmixAlpha ?? 0, n, k),
      dropout: options.dropout ? linspace(options.dropout[0], options.dropout[1], n, k) : undefined,
    }));
  }

  /** Stage in effect at `position` (epoch or step, same unit as `total`); clamps past the end to the last stage. */
  stageFor(position: number): ProgressiveStage {
    const found = this.stages.find((stage) => position < stage.end);
    return found ?? this.stages[this.stages.length - 1];
  }
}

/** EfficientNetV2 presets (EfficientNetV2 paper; official effnetv2_model.py table): train size, RandAugment max magnitude, mixup = cutmix alpha. */
export const EFFICIENTNETV2_PROGRESSIVE: Record<string, Omit<ProgressiveOptions, 'total'>> = {
  s: { trainSize: 300, maxMagnitude: 10, mixupAlpha: 0, cutmixAlpha: 0 },
  m: { trainSize: 384, maxMagnitude: 15, mixupAlpha: 0.2, cutmixAlpha: 0.2 },
  l: { trainSize: 384, maxMagnitude: 20, mixupAlpha: 0.5, cutmixAlpha: 0.5 },
  xl: { trainSize: 384, maxMagnitude: 20, mixupAlpha: 0.5, cutmixAlpha: 0.5 },
  b0: { trainSize: 192 },
  b1: { trainSize: 192 },
  b2: { trainSize: 208 },
  b3: { trainSize: 240 },
};

export function efficientNetV2Schedule(variant: string, total: number, overrides: Partial<ProgressiveOptions> = {}): ProgressiveSchedule {
  const preset = EFFICIENTNETV2_PROGRESSIVE[variant.toLowerCase()];
  if (!preset) throw new Error(`efficientNetV2Schedule: unknown variant "${variant}" (known: ${Object.keys(EFFICIENTNETV2_PROGRESSIVE).join(', ')})`);
  return new ProgressiveSchedule({ ...preset, total, ...overrides });
}
