import type { Image } from '../image';

export interface Sample {
  image: Image;
  label: number;
}

/** A file left out of a dataset, with the reason (bad header, decode failure, unsupported extension). */
export interface SkippedFile {
  path: string;
  reason: string;
}

/**
 * JSON description from which a worker thread reconstructs the same dataset (no functions, no buffers).
 * Custom datasets without a descriptor can only be loaded with `workers: 0`.
 */
export type DatasetDescriptor =
  | { kind: 'imageFolder'; root: string; channels: 1 | 3; classes: string[]; files: { path: string; label: number }[]; maxPixels?: number }
  | { kind: 'idx'; imagesPath: string; labelsPath: string; classes: string[] }
  | { kind: 'cifar10'; files: string[] }
  | { kind: 'synthetic'; options: import('./syntheticShapes').SyntheticShapesOptions }
  | { kind: 'subset'; base: DatasetDescriptor; indices: number[] }
  | { kind: 'toRgb'; base: DatasetDescriptor };

export interface Dataset {
  readonly length: number;
  readonly classes: string[];
  /** Present when the dataset can be rebuilt inside a worker thread. */
  readonly descriptor?: DatasetDescriptor;
  /** Returns the (read-only) image and label at `index`; may reject for a file that fails to decode. */
  get(index: number): Promise<Sample>;
}

/** Thrown by `get` for one unreadable sample; the loader skips the sample and records it. */
export class SampleDecodeError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot decode ${path}: ${reason}`);
    this.name = 'SampleDecodeError';
  }
}

export function checkIndex(index: number, length: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${what}: index ${index} out of range [0, ${length})`);
  }
}
