import { availableParallelism } from 'node:os';
import { useNativeGemm } from '@nextnets/backend-native';

/**
 * Routes the wasm backend's matrix products through OpenBLAS (@nextnets/backend-native) when its addon is built:
 * all CPUs for a lone replica, one thread each when `replicas` share them. Other backends, or no addon: false.
 */
export function enableNativeGemm(backend: string, replicas = 1): boolean {
  if (backend !== 'wasm') return false;
  return useNativeGemm({ threads: replicas > 1 ? 1 : availableParallelism() });
}
