/**
 * `@nextnets/core-layers/node`: the parts that need Node.js (the filesystem, worker threads). The main entry
 * (`@nextnets/core-layers`) stays browser-safe; its safetensors/npy codecs take and return bytes.
 */
export {
  DEFAULT_MAX_FILE_BYTES,
  readNpy,
  readRegularFile,
  readSafetensors,
  writeFileAtomic,
  writeNpy,
  writeSafetensorsAtomic,
} from './io/files.js';
export { loadSafetensors, saveSafetensors } from './state-dict-files.js';
export { startWorkerEntry } from './worker-entry.js';
export type { WorkerEntryOptions } from './worker-entry.js';
export { WorkerRpc } from './worker-rpc.js';
