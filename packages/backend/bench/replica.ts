/** Replica factory for `bench:convnext --replicas N`: the benchmarked model (ConvNeXt or EfficientNet family), built in each worker. */
import type { ImageClassifier } from '../../core-layers/src/index';
import { createModel } from '../../models-convnext/src/index';
import '../../models-efficient/src/index';

export function createReplica(args: { model: string; numClasses: number }): ImageClassifier {
  return createModel(args.model, { numClasses: args.numClasses }) as ImageClassifier;
}
