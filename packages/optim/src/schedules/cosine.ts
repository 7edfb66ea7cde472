import { checkNonNegative, checkStep, checkWarmup, warmupLr, type LrSchedule, type WarmupOptions } from './warmup';

export interface CosineWithWarmupOptions extends WarmupOptions {
  baseLr: number;
  totalSteps: number;
  minLr?: number;
}

/**
 * Per-iteration half-cycle cosine with linear warmup (ConvNeXt `cosine_scheduler`, ConvNeXt's official recipe, main.py/optim_factory.py; FCMAE ConvNeXt V2 FCMAE; official fcmae.py with
 * `warmupStyle: 'exclusive'`). Default warmup style `inclusive`. After warmup (i = step − warmupSteps):
 * minLr + ½(baseLr − minLr)(1 + cos(π·i / (totalSteps − warmupSteps))); steps ≥ totalSteps give minLr.
 */
export function cosineWithWarmup(options: CosineWithWarmupOptions): LrSchedule {
  const owner = 'cosineWithWarmup';
  const { baseLr, totalSteps, minLr = 0, warmupSteps = 0 } = options;
  checkNonNegative(owner, 'baseLr', baseLr);
  checkNonNegative(owner, 'minLr', minLr);
  checkWarmup(owner, options);
  if (!Number.isInteger(totalSteps) || totalSteps <= warmupSteps) {
    throw new Error(`${owner}: totalSteps must be an integer > warmupSteps (${warmupSteps}), got ${totalSteps}`);
  }
  const decaySteps = totalSteps - warmupSteps;
  return (step) => {
    checkStep(owner, step);
    if (step < warmupSteps) return warmupLr(step, baseLr, options, 'inclusive');
    if (step >= totalSteps) return minLr;
    const progress = (step - warmupSteps) / decaySteps;
    return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}
