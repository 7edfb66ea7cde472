/**
 * Replica factory for `bench:convnext --replicas N`: the benchmarked model (ConvNeXt, EfficientNet or RepVGG family),
 * built in each worker, with the addon's kernels there too, as the main thread uses them (`--native-gemm`).
 */
import type { ImageClassifier } from '../../core-layers/src/index';
import { createModel } from '../../models-convnext/src/index';
import { useNativeGemm, type NativeGemmOptions } from '../../backend-native/src/index';
import '../../models-efficient/src/index';
import '../../models-rep/src/index';

export function createReplica(args: { model: string; numClasses: number; native: NativeGemmOptions | null }): ImageClassifier {
  if (args.native && !useNativeGemm(args.native)) throw new Error('--native-gemm: @nextnets/backend-native is not built');
  return createModel(args.model, { numClasses: args.numClasses }) as ImageClassifier;
}

