/** Replica factory for the tests: a tiny ConvNeXt from the registry (the args select its size). */
import { createModel, type ImageClassifier } from '@nextnets/models-convnext';

export function createReplica(args: Record<string, unknown>): ImageClassifier {
  return createModel('convnext_atto', args) as ImageClassifier;
}
