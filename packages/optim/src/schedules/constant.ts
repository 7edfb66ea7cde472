import { checkNonNegative, checkStep, checkWarmup, warmupLr, type LrSchedule, type WarmupOptions } from './warmup';

export interface ConstantOptions extends WarmupOptions {
  baseLr: number;
}

/** baseLr after an optional linear warmup (style default `exclusive`; EV2 fine-tuning: constant with 1 warmup epoch, EfficientNetV2 paper; official effnetv2_model.py). */
export function constant(options: ConstantOptions): LrSchedule {
  const owner = 'constant';
  const { baseLr, warmupSteps = 0 } = options;
  checkNonNegative(owner, 'baseLr', baseLr);
  checkWarmup(owner, options);
  return (step) => {
    checkStep(owner, step);
    return step < warmupSteps ? warmupLr(step, baseLr, options, 'exclusive') : baseLr;
  };
}
