/** Replica factory for `bench:convnext --replicas N`: the benchmarked model (ConvNeXt or EfficientNet family), built in each worker. */
import { useNativeGemm } from '../../backend-native/src/index';
import type { ImageClassifier } from '../../core-layers/src/index';
import { createModel } from '../../models-convnext/src/index';
import '../../models-efficient/src/index';

export function createReplica(args: { model: string; numClasses: number }): ImageClassifier {
  return createModel(args.model, { numClasses: args.numClasses }) as ImageClassifier;
}

/**
 * With `--native-gemm` (the main thread sets NEXTNETS_BENCH_NATIVE_GEMM=1 before starting the workers) every replica
 * uses the addon, one OpenBLAS thread each, as the main thread does; without this the workers ran the wasm kernels only.
 */
export function prepareBackend(backend: string): void {
  if (process.env.NEXTNETS_BENCH_NATIVE_GEMM === '1' && backend === 'wasm' && !useNativeGemm({ threads: 1 })) {
    throw new Error('--native-gemm: @nextnets/backend-native is not built in the worker');
  }
}
