/** Replica factory for the tests: a tiny ConvNeXt from the registry (the args select its size). */
import type { ImageClassifier } from '@nextnets/core-layers';
import { createModel } from '@nextnets/models-convnext';

export function createReplica(args: Record<string, unknown>): ImageClassifier {
  return createModel('convnext_atto', args) as ImageClassifier;
}
