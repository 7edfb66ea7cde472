/**
 * A replica's thread: builds its model with the caller's factory on its own single-threaded backend, then answers
 * gradient and prediction tasks for its shard of each batch. Weights arrive in the shared `weights` block before
 * every task; gradients go back through the shared `grads` block (see protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, type BackendChoice } from '@nextnets/backend';
import { manualSeed, valueAndGrads, type Module } from '@nextnets/core-layers';
import { defaultShardLoss, type ShardLoss } from './shard-loss';
import { elementCount, layoutMismatch, stateLayout, stateVariables } from './layout';
import { floatData } from './tensor-data';
import type { GradsTask, PredictTask, WorkerInit, WorkerReply, WorkerStatus, WorkerTask } from './protocol';

type Forward = Module & { forward(x: tf.Tensor): tf.Tensor };

/** What a factory module exports (see `DataParallelOptions.factoryUrl`). */
interface ReplicaFactory {
  createReplica?: (args: unknown) => Forward | Promise<Forward>;
  replicaLoss?: ShardLoss;
  /** Optional: called once with the worker's backend name before the replica is built (e.g. to add native kernels). */
  prepareBackend?: (backend: string) => void | Promise<void>;
}

const init = workerData as WorkerInit;
const port = parentPort;

/**
 * Copies the main thread's current parameters and buffers into this replica. The views are not copied first: the
 * main thread rewrites the block only between tasks (after every reply is in), never while a replica computes.
 */
function loadWeights(model: Forward, weights: Float32Array): void {
  const variables = stateVariables(model);
  init.layout.forEach((entry, i) => {
    const n = elementCount(entry.shape);
    tf.tidy(() => variables[i].assign(tf.tensor(weights.subarray(entry.offset, entry.offset + n), entry.shape)));
  });
}

/** The task's loss of this replica's shard, scaled by the shard's share of the batch. */
function shardLoss(model: Forward, task: GradsTask, loss: ShardLoss): tf.Scalar {
  const tensors = Object.fromEntries(task.tensors.map((t) => [t.name, tf.tensor(t.data, t.shape, t.dtype)]));
  return tf.mul(loss(model, tensors, task.lossOptions), task.scale);
}

function computeGrads(model: Forward, task: GradsTask, gradsOut: Float32Array, loss: ShardLoss): WorkerReply {
  model.train();
  if (task.seed !== undefined) manualSeed(task.seed);
  const { value, grads } = valueAndGrads(model, () => tf.tidy(() => shardLoss(model, task, loss)));
  try {
    for (const entry of init.layout) {
      if (entry.kind !== 'param') continue;
      const g = grads[entry.name];
      const n = elementCount(entry.shape);
      if (g) gradsOut.set(floatData(g), entry.offset);
      else gradsOut.fill(0, entry.offset, entry.offset + n);
    }
    return { id: task.id, kind: 'grads', loss: value.dataSync()[0] };
  } finally {
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
}

function predict(model: Forward, task: PredictTask): WorkerReply {
  model.eval();
  const started = performance.now();
  const logits = tf.tidy(() => model.forward(tf.tensor4d(task.images, task.shape)) as tf.Tensor2D);
  try {
    const data = logits.dataSync() as Float32Array;
    const ms = performance.now() - started;
    return { id: task.id, kind: 'predict', logits: data, shape: [logits.shape[0], logits.shape[1]], ms };
  } finally {
    logits.dispose();
  }
}

async function main(): Promise<void> {
  if (!port) throw new Error('@nextnets/parallel worker: must run in a worker thread');
  const backend = await setupBackend(init.backend as BackendChoice);
  const factory = (await import(init.factoryUrl)) as ReplicaFactory;
  if (typeof factory.createReplica !== 'function') throw new Error(`${init.factoryUrl} does not export createReplica()`);
  await factory.prepareBackend?.(backend);
  const model = await factory.createReplica(init.factoryArgs);
  const loss = factory.replicaLoss ?? defaultShardLoss;
  const mismatch = layoutMismatch(init.layout, stateLayout(model).entries);
  if (mismatch) throw new Error(`replica built by ${init.factoryUrl} differs from the model: ${mismatch}`);
  const weights = new Float32Array(init.weights);
  const grads = new Float32Array(init.grads);
  let loadedVersion = -1;
  port.on('message', (task: WorkerTask) => {
    let reply: WorkerReply;
    try {
      if (task.weightsVersion !== loadedVersion) {
        loadWeights(model, weights);
        loadedVersion = task.weightsVersion;
      }
      reply = task.kind === 'grads' ? computeGrads(model, task, grads, loss) : predict(model, task);
    } catch (error) {
      reply = { id: task.id, kind: 'error', message: (error as Error).message };
    }
    const transfer = reply.kind === 'predict' ? [reply.logits.buffer as ArrayBuffer] : [];
    port.postMessage(reply, transfer);
  });
  port.postMessage({ kind: 'ready' } satisfies WorkerStatus);
}

main().catch((error: unknown) => {
  port?.postMessage({ kind: 'error', message: (error as Error).message } satisfies WorkerStatus);
});
