/**
 * Worker-replica factory for `--replicas N` (@nextnets/parallel): each worker thread imports this module and builds
 * the run's model from its registry name and args (the weights come from the main thread before every task).
 */
import { reparameterize } from '@nextnets/models-rep';
import type { ImageClassifier } from '@nextnets/core-layers';
import { buildModel } from './model/build.js';

export interface ReplicaArgs {
  name: string;
  args: Record<string, unknown>;
  /** Build the reparameterized (deploy) form, as `nextnets bench` measures for `name:reparam`. */
  reparameterized?: boolean;
}

export function createReplica({ name, args, reparameterized }: ReplicaArgs): ImageClassifier {
  const model = buildModel(name, args);
  if (reparameterized) reparameterize(model);
  return model;
}

/** URL of this module beside the running code: dist/replica.{js,cjs} when built, src/replica.ts from source. */
export function replicaFactoryUrl(): string {
  const here = import.meta.url;
  const file = here.endsWith('.ts') ? './replica.ts' : here.endsWith('.cjs') ? './replica.cjs' : './replica.js';
  return new URL(file, here).href;
}
