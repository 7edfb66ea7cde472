import { nativeGemmAvailable, nativeGemmStatus } from '../src/index';

/**
 * True when the addon is built and loads. .ci/run sets NEXTNETS_REQUIRE_NATIVE=1 (it installs OpenBLAS), and then a
 * missing or broken addon throws here, so its tests fail CI instead of skipping.
 */
export const available = nativeGemmAvailable();
if (!available) {
  if (process.env.NEXTNETS_REQUIRE_NATIVE === '1') throw new Error(`NEXTNETS_REQUIRE_NATIVE=1 but ${nativeGemmStatus()}`);
  console.log(`@nextnets/backend-native tests skipped: ${nativeGemmStatus()}`);
}
