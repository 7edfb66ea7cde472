/** Loader worker-thread entry: rebuilds the dataset from its descriptor and assembles batches on request. */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { assembleBatch, type BatchRequest } from './batch';
import { datasetFromDescriptor } from './datasets/fromDescriptor';
import type { DatasetDescriptor } from './datasets/types';
import { transformFromSpec } from './transforms/fromSpec';
import type { Transform, TransformSpec } from './transforms/types';

export interface WorkerInit {
  dataset: DatasetDescriptor;
}

export interface WorkerTask {
  id: number;
  request: BatchRequest;
  transform?: TransformSpec;
}

if (parentPort) {
  const port = parentPort;
  // one libvips thread per worker: the loader's parallelism comes from the worker count
  sharp.concurrency(1);
  sharp.cache(false);
  const dataset = datasetFromDescriptor((workerData as WorkerInit).dataset);
  const transforms = new Map<string, Transform>();
  let queue = Promise.resolve();
  port.on('message', (task: WorkerTask) => {
    queue = queue.then(async () => {
      try {
        let transform: Transform | undefined;
        if (task.transform) {
          const key = JSON.stringify(task.transform);
          transform = transforms.get(key) ?? transformFromSpec(task.transform);
          transforms.set(key, transform);
        }
        const batch = await assembleBatch(dataset, transform, task.request);
        const transfer = [batch.images.buffer, batch.labels.buffer, ...(batch.targets ? [batch.targets.buffer] : [])];
        port.postMessage({ id: task.id, batch }, transfer as ArrayBuffer[]);
      } catch (error) {
        port.postMessage({ id: task.id, error: (error as Error).message });
      }
    });
  });
}
