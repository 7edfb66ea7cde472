import { toRgb } from '../image';
import { Rng } from '../random';
import { checkIndex, type Dataset, type DatasetDescriptor, type Sample } from './types';

/** A view of `base` restricted to `indices`. */
export class Subset implements Dataset {
  constructor(
    readonly base: Dataset,
    readonly indices: number[],
  ) {
    for (const i of indices) checkIndex(i, base.length, 'Subset');
  }

  get length(): number {
    return this.indices.length;
  }

  get classes(): string[] {
    return this.base.classes;
  }

  get descriptor(): DatasetDescriptor | undefined {
    return this.base.descriptor && { kind: 'subset', base: this.base.descriptor, indices: this.indices };
  }

  get(index: number): Promise<Sample> {
    checkIndex(index, this.indices.length, 'Subset');
    return this.base.get(this.indices[index]);
  }
}

/**
 * Random train/val split: a seeded permutation, the first round(valFraction·N) indices (sorted) go to val. Both
 * splits must be non-empty: an empty validation split would report accuracy over no images (NaN).
 */
export function splitDataset(dataset: Dataset, valFraction: number, seed = 0): { train: Subset; val: Subset } {
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`splitDataset: valFraction must be in [0, 1), got ${valFraction}`);
  const valCount = Math.round(valFraction * dataset.length);
  if (valCount === 0 || valCount === dataset.length) {
    const empty = valCount === 0 ? 'validation' : 'training';
    throw new Error(
      `splitDataset: valFraction ${valFraction} of ${dataset.length} images leaves the ${empty} split empty ` +
        `(need at least 2 images and 1/${dataset.length} <= valFraction < ${dataset.length - 1}/${dataset.length})`,
    );
  }
  const order = new Rng(seed).permutation(dataset.length);
  const byIndex = (a: number, b: number) => a - b;
  return {
    train: new Subset(dataset, order.slice(valCount).sort(byIndex)),
    val: new Subset(dataset, order.slice(0, valCount).sort(byIndex)),
  };
}

/** Wraps a dataset so every image has 3 channels (grayscale replicated). */
export class RgbDataset implements Dataset {
  constructor(readonly base: Dataset) {}

  get length(): number {
    return this.base.length;
  }

  get classes(): string[] {
    return this.base.classes;
  }

  get descriptor(): DatasetDescriptor | undefined {
    return this.base.descriptor && { kind: 'toRgb', base: this.base.descriptor };
  }

  async get(index: number): Promise<Sample> {
    const sample = await this.base.get(index);
    return { image: toRgb(sample.image), label: sample.label };
  }
}

export function toRgbDataset(dataset: Dataset): Dataset {
  return new RgbDataset(dataset);
}
