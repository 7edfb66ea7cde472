/**
 * timm `Mixup` in 'batch' mode on an assembled NHWC batch: one lam per batch, partner of sample i is sample N−1−i
 * (`x.flip(0)`), targets are mixed label-smoothed one-hots.
 */
import type { Rng } from '../random';

export interface MixupCutmixOptions {
  mixupAlpha?: number;
  cutmixAlpha?: number;
  /** Fixed [min, max] box side ratio for CutMix (implies cutmixAlpha 1 and lam correction). */
  cutmixMinMax?: [number, number];
  /** Probability of mixing a batch at all. */
  prob?: number;
  /** Probability of CutMix instead of Mixup when both alphas are > 0. */
  switchProb?: number;
  mode?: 'batch';
  /** Recompute lam from the clipped CutMix box area (timm `correct_lam`, default true). */
  correctLam?: boolean;
  labelSmoothing?: number;
  numClasses: number;
}

export interface Batch {
  /** NHWC float32, length n·h·w·c. */
  images: Float32Array;
  labels: Int32Array;
  shape: [number, number, number, number];
}

export interface MixedBatch extends Batch {
  /** Soft targets [n, numClasses], rows sum to 1. */
  targets: Float32Array;
  lam: number;
  /** CutMix box [top, bottom, left, right) when CutMix was used. */
  box?: [number, number, number, number];
}

export interface MixupCutmix {
  readonly options: Required<Omit<MixupCutmixOptions, 'cutmixMinMax'>> & { cutmixMinMax?: [number, number] };
  apply(batch: Batch, rng: Rng): MixedBatch;
}

/** timm `mixup_target`: lam·onehot(y) + (1−lam)·onehot(flip(y)) with off = s/K, on = 1 − s + off. */
export function mixupTargets(labels: Int32Array, numClasses: number, lam: number, smoothing: number): Float32Array {
  const n = labels.length;
  const off = smoothing / numClasses;
  const on = 1 - smoothing + off;
  const targets = new Float32Array(n * numClasses).fill(off);
  for (let i = 0; i < n; i++) {
    const own = labels[i];
    const partner = labels[n - 1 - i];
    if (own < 0 || own >= numClasses) throw new Error(`mixupCutmix: label ${own} outside [0, ${numClasses})`);
    targets[i * numClasses + own] += lam * (on - off);
    targets[i * numClasses + partner] += (1 - lam) * (on - off);
  }
  return targets;
}

/** timm `rand_bbox` / `rand_bbox_minmax` + `cutmix_bbox_and_lam`: returns [yl, yh, xl, xh] and the corrected lam. */
export function cutmixBox(
  height: number,
  width: number,
  lam: number,
  rng: Rng,
  minMax?: [number, number],
  correctLam = true,
): { box: [number, number, number, number]; lam: number } {
  let box: [number, number, number, number];
  if (minMax) {
    const cutH = rng.randint(Math.trunc(height * minMax[0]), Math.trunc(height * minMax[1]) - 1);
    const cutW = rng.randint(Math.trunc(width * minMax[0]), Math.trunc(width * minMax[1]) - 1);
    const yl = rng.randint(0, height - cutH - 1);
    const xl = rng.randint(0, width - cutW - 1);
    box = [yl, yl + cutH, xl, xl + cutW];
  } else {
    const ratio = Math.sqrt(1 - lam);
    const cutH = Math.trunc(height * ratio);
    const cutW = Math.trunc(width * ratio);
    const cy = rng.randint(0, height - 1);
    const cx = rng.randint(0, width - 1);
    const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
    box = [clip(cy - Math.floor(cutH / 2), height), clip(cy + Math.floor(cutH / 2), height), clip(cx - Math.floor(cutW / 2), width), clip(cx + Math.floor(cutW / 2), width)];
  }
  if (correctLam || minMax) lam = 1 - ((box[1] - box[0]) * (box[3] - box[2])) / (height * width);
  return { box, lam };
}

export function mixupCutmix(options: MixupCutmixOptions): MixupCutmix {
  const o = {
    mixupAlpha: options.mixupAlpha ?? 1,
    cutmixAlpha: options.cutmixMinMax ? 1 : (options.cutmixAlpha ?? 0),
    cutmixMinMax: options.cutmixMinMax,
    prob: options.prob ?? 1,
    switchProb: options.switchProb ?? 0.5,
    mode: options.mode ?? 'batch',
    correctLam: options.correctLam ?? true,
    labelSmoothing: options.labelSmoothing ?? 0.1,
    numClasses: options.numClasses,
  } as const;
  if (o.mode !== 'batch') throw new Error(`mixupCutmix: only mode 'batch' is supported, got '${String(o.mode)}'`);
  if (!(Number.isInteger(o.numClasses) && o.numClasses > 0)) throw new Error(`mixupCutmix: numClasses must be a positive integer`);
  return {
    options: o,
    apply(batch, rng) {
      const [n, height, width, c] = batch.shape;
      if (n % 2 !== 0) throw new Error(`mixupCutmix: batch size must be even in 'batch' mode, got ${n}`);
      let lam = 1;
      let useCutmix = false;
      if (rng.random() < o.prob && (o.mixupAlpha > 0 || o.cutmixAlpha > 0)) {
        if (o.mixupAlpha > 0 && o.cutmixAlpha > 0) {
          useCutmix = rng.random() < o.switchProb;
          lam = useCutmix ? rng.beta(o.cutmixAlpha, o.cutmixAlpha) : rng.beta(o.mixupAlpha, o.mixupAlpha);
        } else if (o.mixupAlpha > 0) {
          lam = rng.beta(o.mixupAlpha, o.mixupAlpha);
        } else {
          useCutmix = true;
          lam = rng.beta(o.cutmixAlpha, o.cutmixAlpha);
        }
      }
      const images = batch.images;
      const per = height * width * c;
      let box: [number, number, number, number] | undefined;
      if (lam !== 1) {
        const source = images.slice();
        if (useCutmix) {
          const cut = cutmixBox(height, width, lam, rng, o.cutmixMinMax, o.correctLam);
          box = cut.box;
          lam = cut.lam;
          const [yl, yh, xl, xh] = box;
          for (let i = 0; i < n; i++) {
            const dst = i * per;
            const src = (n - 1 - i) * per;
            for (let y = yl; y < yh; y++) {
              const row = (y * width + xl) * c;
              images.set(source.subarray(src + row, src + row + (xh - xl) * c), dst + row);
            }
          }
        } else {
          for (let i = 0; i < n; i++) {
            const dst = i * per;
            const src = (n - 1 - i) * per;
            for (let k = 0; k < per; k++) images[dst + k] = lam * source[dst + k] + (1 - lam) * source[src + k];
          }
        }
      }
      const targets = mixupTargets(batch.labels, o.numClasses, lam, o.labelSmoothing);
      return { images, labels: batch.labels, shape: batch.shape, targets, lam, box };
    },
  };
}
