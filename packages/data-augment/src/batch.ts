/** Decode + augment + assemble one batch into a single NHWC Float32Array (runs in a worker or in-process). */
import type { Dataset, Sample, SkippedFile } from './datasets/types';
import { SampleDecodeError } from './datasets/types';
import { deriveSeed, Rng, sampleRng } from './random';
import { mixupCutmix, type MixupCutmixOptions } from './transforms/mixupCutmix';
import type { Transform } from './transforms/types';

export interface BatchRequest {
  /** Dataset indices of the batch, in order. */
  indices: number[];
  seed: number;
  epoch: number;
  batchIndex: number;
  mixup?: MixupCutmixOptions;
}

export interface AssembledBatch {
  images: Float32Array;
  labels: Int32Array;
  targets?: Float32Array;
  shape: [number, number, number, number];
  /** Indices actually in the batch (decode failures removed). */
  indices: number[];
  skipped: SkippedFile[];
}

export async function assembleBatch(dataset: Dataset, transform: Transform | undefined, request: BatchRequest): Promise<AssembledBatch> {
  const skipped: SkippedFile[] = [];
  const loaded = await Promise.all(
    request.indices.map(async (index): Promise<{ index: number; sample: Sample } | undefined> => {
      try {
        return { index, sample: await dataset.get(index) };
      } catch (error) {
        if (error instanceof SampleDecodeError) {
          skipped.push({ path: error.path, reason: error.reason });
          return undefined;
        }
        throw error;
      }
    }),
  );
  let kept = loaded.filter((entry) => entry !== undefined);
  // batch-mode mixup pairs i with N-1-i and needs an even count
  if (request.mixup && kept.length % 2 === 1) kept = kept.slice(0, -1);
  if (kept.length === 0) {
    return { images: new Float32Array(0), labels: new Int32Array(0), shape: [0, 0, 0, 0], indices: [], skipped };
  }
  let images: Float32Array | undefined;
  let shape: [number, number, number, number] = [kept.length, 0, 0, 0];
  const labels = new Int32Array(kept.length);
  kept.forEach(({ index, sample }, position) => {
    const image = transform ? transform.apply(sample.image, sampleRng(request.seed, request.epoch, index)) : sample.image;
    if (!images) {
      shape = [kept.length, image.height, image.width, image.channels];
      images = new Float32Array(kept.length * image.data.length);
    } else if (image.height !== shape[1] || image.width !== shape[2] || image.channels !== shape[3]) {
      throw new Error(
        `batch: sample ${index} is ${image.height}x${image.width}x${image.channels} but the batch is ${shape[1]}x${shape[2]}x${shape[3]}; add a resize/crop transform`,
      );
    }
    images.set(image.data, position * image.data.length);
    labels[position] = sample.label;
  });
  const batch = { images: images as Float32Array, labels, shape, indices: kept.map((k) => k.index), skipped };
  if (!request.mixup) return batch;
  const mixed = mixupCutmix(request.mixup).apply(batch, new Rng(deriveSeed(request.seed, request.epoch, request.batchIndex, 0x3131)));
  return { ...batch, images: mixed.images, targets: mixed.targets };
}
