/**
 * Replica factory for `bench:convnext --replicas N`: the benchmarked model (ConvNeXt, EfficientNet or RepVGG family),
 * built in each worker, with OpenBLAS on one thread there too when the main thread uses it (`--native-gemm`).
 */
import type { ImageClassifier } from '../../core-layers/src/index';
import { createModel } from '../../models-convnext/src/index';
import { useNativeGemm } from '../../backend-native/src/index';
import '../../models-efficient/src/index';
import '../../models-rep/src/index';

export function createReplica(args: { model: string; numClasses: number; nativeGemm: boolean }): ImageClassifier {
  if (args.nativeGemm && !useNativeGemm({ threads: 1 })) throw new Error('--native-gemm: @nextnets/backend-native is not built');
  return createModel(args.model, { numClasses: args.numClasses }) as ImageClassifier;
}
