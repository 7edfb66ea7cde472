/**
 * Worker-replica factory for `--replicas N` (@nextnets/parallel): each worker thread imports this module and builds
 * the run's model — a classifier from its registry name and args, or the FCMAE of a pretrain run — and computes its
 * task's shard loss with `replicaLoss` (the weights come from the main thread before every task).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FCMAE } from '@nextnets/fcmae';
import { reparameterize } from '@nextnets/models-rep';
import type { ImageClassifier } from '@nextnets/core-layers';
import { classificationShardLoss, fcmaeShardLoss, type ClassificationLossOptions } from '@nextnets/train';
import { enableNativeGemm } from './cli/native.js';
import { buildModel } from './model/build.js';
import type { FcmaeReplicaArgs } from './train/pretrain.js';

export interface ReplicaArgs {
  kind?: 'classifier';
  name: string;
  args: Record<string, unknown>;
  /** Build the reparameterized (deploy) form, as `nextnets bench` measures for `name:reparam`. */
  reparameterized?: boolean;
}

/** Runs in each worker after its backend is set up: OpenBLAS GEMMs, one thread (replicas share the cores). */
export function prepareBackend(backend: string): void {
  enableNativeGemm(backend, 2);
}

export function createReplica(spec: ReplicaArgs | FcmaeReplicaArgs): ImageClassifier | FCMAE {
  if (spec.kind === 'fcmae') return new FCMAE(spec);
  const model = buildModel(spec.name, spec.args);
  if (spec.reparameterized) reparameterize(model);
  return model;
}

/** The shard loss of the replica's task: FCMAE's masked reconstruction, or classification. */
export function replicaLoss(model: ImageClassifier | FCMAE, tensors: Record<string, tf.Tensor>, options: unknown): tf.Scalar {
  if (model instanceof FCMAE) return fcmaeShardLoss(model, tensors);
  return classificationShardLoss(model, tensors, options as ClassificationLossOptions);
}

/** URL of this module beside the running code: dist/replica.{js,cjs} when built, src/replica.ts from source. */
export function replicaFactoryUrl(): string {
  const here = import.meta.url;
  const file = here.endsWith('.ts') ? './replica.ts' : here.endsWith('.cjs') ? './replica.cjs' : './replica.js';
  return new URL(file, here).href;
}
