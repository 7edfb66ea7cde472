import { checkNonNegative, checkStep, checkWarmup, warmupLr, type LrSchedule, type WarmupOptions } from './warmup';

export interface StepDecayOptions extends WarmupOptions {
  baseLr: number;
  /** Multiply by `gamma` every `stepSize` steps (torch StepLR) … */
  stepSize?: number;
  /** … or at each of these steps (torch MultiStepLR). Exactly one of the two. */
  milestones?: number[];
  /** Default 0.1. */
  gamma?: number;
}

/** baseLr · gamma^k, k = ⌊step/stepSize⌋ or the number of milestones ≤ step; counted from step 0. Warmup style default `exclusive`. */
export function stepDecay(options: StepDecayOptions): LrSchedule {
  const owner = 'stepDecay';
  const { baseLr, stepSize, milestones, gamma = 0.1, warmupSteps = 0 } = options;
  checkNonNegative(owner, 'baseLr', baseLr);
  checkNonNegative(owner, 'gamma', gamma);
  checkWarmup(owner, options);
  if ((stepSize === undefined) === (milestones === undefined)) {
    throw new Error(`${owner}: give exactly one of stepSize or milestones`);
  }
  if (stepSize !== undefined && !(stepSize > 0)) throw new Error(`${owner}: stepSize must be > 0, got ${stepSize}`);
  const sorted = milestones ? [...milestones].sort((a, b) => a - b) : [];
  return (step) => {
    checkStep(owner, step);
    if (step < warmupSteps) return warmupLr(step, baseLr, options, 'exclusive');
    const k = stepSize !== undefined ? Math.floor(step / stepSize) : sorted.filter((m) => m <= step).length;
    return baseLr * gamma ** k;
  };
}
