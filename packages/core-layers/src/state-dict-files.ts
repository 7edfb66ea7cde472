/** Path-based checkpoint helpers for Node: thin wrappers over the universal byte-level ones in state-dict.ts. */
import type { Module } from './module.js';
import { readSafetensors, writeSafetensorsAtomic } from './io/files.js';
import { loadStateDict, stateDict, type LoadStateDictOptions, type LoadStateDictResult } from './state-dict.js';

/** Loads a timm/PyTorch `.safetensors` checkpoint into the module (see `loadStateDict` for the checks). */
export function loadSafetensors(module: Module, path: string, opts: Omit<LoadStateDictOptions, 'source'> = {}): LoadStateDictResult {
  return loadStateDict(module, readSafetensors(path).tensors, { ...opts, source: path });
}

/** Writes the module's state dict as a timm-compatible `.safetensors` file (PyTorch layouts), atomically. */
export function saveSafetensors(module: Module, path: string, metadata?: Record<string, string>): void {
  writeSafetensorsAtomic(path, stateDict(module), metadata);
}
