import type { Transform, TransformSpec } from './types';

/** Applies transforms in order, each drawing from the same per-sample RNG stream. */
export function compose(transforms: Transform[]): Transform<Extract<TransformSpec, { kind: 'compose' }>> {
  return {
    spec: { kind: 'compose', transforms: transforms.map((t) => t.spec) },
    apply: (image, rng) => transforms.reduce((img, t) => t.apply(img, rng), image),
  };
}
