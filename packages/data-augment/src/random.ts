/**
 * The seeded generator of the augmentations is core-layers' `Rng` (mulberry32, with the samplers they need): every
 * random decision takes an explicit `Rng`, so a loader is reproducible per (seed, epoch, index).
 */
import { deriveSeed, Rng } from '@nextnets/core-layers';

export { deriveSeed, Rng };

/** The RNG of one sample in one epoch: identical whatever thread or batch order processes it. */
export function sampleRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(deriveSeed(seed, epoch, index, 0x5a3b1e));
}
