import * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.js';
import { fromTorchLayout, toTorchLayout, torchShape, type ParamLayout } from './layout.js';
import type { TensorData } from './io/index.js';
import { parseSafetensors, serializeSafetensors } from './io/index.js';

export interface LoadStateDictOptions {
  /** Missing or unexpected keys are errors (default true), as `load_state_dict(strict=True)`. */
  strict?: boolean;
  /** Where the tensors came from, for error messages (a file path). */
  source?: string;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

interface StateEntry {
  variable: tf.Variable;
  layout: ParamLayout;
}

/** Parameters then buffers of a module, keyed by timm name. */
function stateEntries(module: Module): Map<string, StateEntry> {
  const entries = new Map<string, StateEntry>();
  for (const [name, p] of module.namedParameters()) entries.set(name, { variable: p.variable, layout: p.layout });
  for (const [name, b] of module.namedBuffers()) entries.set(name, { variable: b.variable, layout: 'none' });
  return entries;
}

/** Keys that inference never uses and that timm checkpoints may carry (int64 counters). */
const IGNORED_KEY = /(^|\.)num_batches_tracked$/;

const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** The module's state dict in PyTorch layouts (parameters and buffers, timm key names, registration order). */
export function stateDict(module: Module): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, { variable, layout }] of stateEntries(module)) {
    const t = toTorchLayout(variable, layout);
    out.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
    t.dispose();
  }
  return out;
}

/**
 * Loads PyTorch-layout tensors into the module. Shape mismatches always fail with one line naming the key and both
 * shapes; missing/unexpected keys fail when `strict` and are reported otherwise. Nothing is assigned unless every
 * check passes, so a failed load leaves the model unchanged.
 */
export function loadStateDict(
  module: Module,
  tensors: ReadonlyMap<string, TensorData>,
  opts: LoadStateDictOptions = {},
): LoadStateDictResult {
  const strict = opts.strict ?? true;
  const where = opts.source ? `${opts.source}: ` : '';
  const entries = stateEntries(module);
  const missingKeys = [...entries.keys()].filter((k) => !tensors.has(k));
  const unexpectedKeys = [...tensors.keys()].filter((k) => !entries.has(k) && !IGNORED_KEY.test(k));
  if (strict && missingKeys.length > 0) {
    throw new Error(`${where}missing key '${missingKeys[0]}'${more(missingKeys)} in checkpoint`);
  }
  if (strict && unexpectedKeys.length > 0) {
    throw new Error(`${where}unexpected key '${unexpectedKeys[0]}'${more(unexpectedKeys)} in checkpoint`);
  }
  for (const [name, { variable, layout }] of entries) {
    const t = tensors.get(name);
    if (!t) continue;
    const expected = torchShape(variable.shape, layout);
    if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`${where}key '${name}' has shape ${fmt(t.shape)} in checkpoint but ${fmt(expected)} in model`);
    }
    if (t.data.length !== expected.reduce((a, b) => a * b, 1)) {
      throw new Error(`${where}key '${name}' has ${t.data.length} values for shape ${fmt(t.shape)}`);
    }
  }
  for (const [name, { variable, layout }] of entries) {
    const t = tensors.get(name);
    if (!t) continue;
    tf.tidy(() => variable.assign(fromTorchLayout(tf.tensor(t.data, [...t.shape]), layout, variable.shape)));
  }
  return { missingKeys, unexpectedKeys };
}

/**
 * Loads the bytes of a timm/PyTorch `.safetensors` checkpoint (a `fetch`ed or dropped file, or a file read in Node)
 * into the module; `source` names it in errors (see `loadStateDict` for the checks).
 */
export function loadSafetensorsBytes(module: Module, bytes: Uint8Array, opts: LoadStateDictOptions = {}): LoadStateDictResult {
  return loadStateDict(module, parseSafetensors(bytes, opts.source).tensors, opts);
}

/** The module's state dict as the bytes of a timm-compatible `.safetensors` file (PyTorch layouts). */
export function safetensorsBytes(module: Module, metadata?: Record<string, string>): Uint8Array {
  return serializeSafetensors(stateDict(module), metadata);
}

function more(keys: string[]): string {
  return keys.length > 1 ? ` (and ${keys.length - 1} more)` : '';
}
