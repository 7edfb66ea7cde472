/** A learning-rate schedule: a pure function of the 0-based optimizer step (iteration). */
export type LrSchedule = (step: number) => number;

/**
 * How the linear warmup is spaced over `warmupSteps` steps (i = 0 … W−1):
 * - `inclusive`: warmupLr + (targetLr − warmupLr)·i/(W−1), reaching targetLr at the last warmup step
 *   (ConvNeXt `utils.cosine_scheduler`, `np.linspace`, ConvNeXt's official recipe, main.py/optim_factory.py);
 * - `exclusive`: warmupLr + (targetLr − warmupLr)·i/W, reaching targetLr at step W
 *   (FCMAE `adjust_learning_rate` ConvNeXt V2 FCMAE; official fcmae.py, EfficientNetV2 `WarmupLearningRateSchedule` EfficientNetV2 paper; official effnetv2_model.py).
 */
export type WarmupStyle = 'inclusive' | 'exclusive';

export interface WarmupOptions {
  warmupSteps?: number;
  warmupLr?: number;
  warmupStyle?: WarmupStyle;
}

export function checkStep(owner: string, step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new Error(`${owner}: step must be an integer >= 0, got ${step}`);
}

export function checkNonNegative(owner: string, what: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${owner}: ${what} must be a finite number >= 0, got ${value}`);
}

export function checkWarmup(owner: string, { warmupSteps = 0, warmupLr = 0 }: WarmupOptions): void {
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new Error(`${owner}: warmupSteps must be an integer >= 0, got ${warmupSteps}`);
  }
  checkNonNegative(owner, 'warmupLr', warmupLr);
}

/** Warmup lr at `step` (< warmupSteps) rising linearly towards `targetLr`. */
export function warmupLr(step: number, targetLr: number, options: WarmupOptions, defaultStyle: WarmupStyle): number {
  const steps = options.warmupSteps ?? 0;
  const start = options.warmupLr ?? 0;
  const style = options.warmupStyle ?? defaultStyle;
  const span = style === 'inclusive' ? steps - 1 : steps;
  if (span <= 0) return start;
  return start + ((targetLr - start) * step) / span;
}
