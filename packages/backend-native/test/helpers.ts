import * as tf from '@tensorflow/tfjs-core';
import { nativeGemmAvailable, nativeGemmStatus, stopNativeGemm, useNativeGemm } from '../src/index';

// .ci/run sets NEXTNETS_REQUIRE_NATIVE=1 (it installs OpenBLAS), so a broken addon build fails CI instead of skipping.
export const available = nativeGemmAvailable();
if (!available) {
  if (process.env.NEXTNETS_REQUIRE_NATIVE === '1') throw new Error(`NEXTNETS_REQUIRE_NATIVE=1 but ${nativeGemmStatus()}`);
  console.log(`@nextnets/backend-native tests skipped: ${nativeGemmStatus()}`);
}

/** The op computed once with the wasm kernels and once with the addon's, on the same inputs. */
export function wasmAndNative(op: () => tf.Tensor | tf.Tensor[]): [Float32Array[], Float32Array[]] {
  const run = () => tf.tidy(() => [op()].flat().map((t) => t.dataSync() as Float32Array));
  stopNativeGemm();
  const wasm = run();
  useNativeGemm({ threads: 2 });
  return [wasm, run()];
}

