import { checkNonNegative, checkStep, checkWarmup, warmupLr, type LrSchedule, type WarmupOptions } from './warmup';

export interface ExponentialDecayOptions extends WarmupOptions {
  baseLr: number;
  /** Decay period in steps; may be fractional (EfficientNetV2: 2.4 epochs × iters per epoch). */
  decayEvery: number;
  /** Multiplier per period (EfficientNetV2: 0.97). */
  rate: number;
  /** Integer number of periods (default true, as EfficientNetV2). */
  staircase?: boolean;
  /** Lower bound applied after decay, before warmup (EV2 `lr_min`); default 0. */
  minLr?: number;
}

/**
 * EfficientNetV2 `WarmupLearningRateSchedule` with exponential decay (EfficientNetV2 paper; official effnetv2_model.py):
 * lr = max(minLr, baseLr · rate^(step/decayEvery), floored when staircase) counted from step 0 (the warmup does
 * not shift it), replaced by the linear warmup (style default `exclusive`: baseLr·step/warmupSteps) while
 * step < warmupSteps.
 */
export function exponentialDecay(options: ExponentialDecayOptions): LrSchedule {
  const owner = 'exponentialDecay';
  const { baseLr, decayEvery, rate, staircase = true, minLr = 0, warmupSteps = 0 } = options;
  checkNonNegative(owner, 'baseLr', baseLr);
  checkNonNegative(owner, 'rate', rate);
  checkNonNegative(owner, 'minLr', minLr);
  checkWarmup(owner, options);
  if (!(decayEvery > 0) || !Number.isFinite(decayEvery)) throw new Error(`${owner}: decayEvery must be > 0, got ${decayEvery}`);
  return (step) => {
    checkStep(owner, step);
    if (step < warmupSteps) return warmupLr(step, baseLr, options, 'exclusive');
    const periods = staircase ? Math.floor(step / decayEvery) : step / decayEvery;
    return Math.max(minLr, baseLr * rate ** periods);
  };
}
