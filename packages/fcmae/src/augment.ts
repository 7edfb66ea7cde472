import { compose, horizontalFlip, normalize, randomResizedCrop, type Transform } from '@nextnets/data-augment';

export interface MinimalAugmentOptions {
  size: number;
  /** RandomResizedCrop area range (FCMAE: [0.2, 1]). */
  scale?: [number, number];
  mean?: number[];
  std?: number[];
}

/** FCMAE's pre-training augmentation (official `main_pretrain.py`): RandomResizedCrop(size, scale, bicubic) → horizontal flip → normalize. */
export function minimalAugment(opts: MinimalAugmentOptions): Transform {
  return compose([
    randomResizedCrop({ size: opts.size, scale: opts.scale ?? [0.2, 1], interpolation: 'bicubic' }),
    horizontalFlip(0.5),
    normalize(opts.mean, opts.std),
  ]);
}

/** Iterations per epoch × epochs, warmup in iterations, with one-line errors for impossible settings. */
export function scheduleSteps(owner: string, itersPerEpoch: number, epochs: number, warmupEpochs: number): { totalSteps: number; warmupSteps: number } {
  if (itersPerEpoch < 1) throw new Error(`${owner}: the dataset has fewer samples than one batch (drop_last)`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`${owner}: epochs must be a positive integer, got ${epochs}`);
  if (!(warmupEpochs >= 0 && warmupEpochs < epochs)) throw new Error(`${owner}: warmupEpochs must be in [0, epochs = ${epochs}), got ${warmupEpochs}`);
  return { totalSteps: itersPerEpoch * epochs, warmupSteps: Math.round(itersPerEpoch * warmupEpochs) };
}
