import type { ImageClassifier, PretrainedCfg } from './classifier.js';

/** timm-style overrides accepted by a model factory (`numClasses`, `inChans`, `depths`, `dropPathRate`, …). */
export type ModelOverrides = Record<string, unknown>;

export interface ModelEntry {
  /** timm's model name, e.g. `convnextv2_atto`. */
  name: string;
  /** Family, e.g. `convnext`, `convnextv2`, `inception_next`, `repvgg`. */
  family: string;
  /** The npm package that defines it. */
  packageName: string;
  pretrainedCfg: PretrainedCfg;
  create(overrides?: ModelOverrides): ImageClassifier;
}

const REGISTRY = new Map<string, ModelEntry>();

/**
 * Adds a named variant (model packages call this when imported). A name registered again by another package or family
 * replaces the first with a warning (a package loaded twice, e.g. as ESM and CJS, re-registers silently).
 */
export function registerModel(entry: ModelEntry): void {
  const existing = REGISTRY.get(entry.name);
  if (existing && (existing.packageName !== entry.packageName || existing.family !== entry.family)) {
    // through globalThis: some packages type-check this file with AssemblyScript's `console`, which has no `warn`
    (globalThis as { console?: { warn?: (message: string) => void } }).console?.warn?.(
      `registerModel: '${entry.name}' (${entry.family}, ${entry.packageName}) replaces the model of that name from ${existing.packageName} (${existing.family})`,
    );
  }
  REGISTRY.set(entry.name, entry);
}

/** The registered entry for `name`, or a one-line error listing close names. */
export function getModelEntry(name: string): ModelEntry {
  const entry = REGISTRY.get(name);
  if (entry) return entry;
  const stem = name.split('_')[0];
  const close = [...REGISTRY.keys()].filter((k) => k.startsWith(stem)).slice(0, 8);
  const hint = close.length > 0 ? `; did you mean ${close.join(', ')}?` : '; run `nextnets models` to list them';
  throw new Error(`unknown model '${name}'${hint}`);
}

/** Builds a registered model by timm name with overrides (`createModel('convnextv2_atto', { numClasses: 10 })`). */
export function createModel(name: string, overrides: ModelOverrides = {}): ImageClassifier {
  return getModelEntry(name).create(overrides);
}

/** Registered names, optionally those containing `filter`, sorted. */
export function listModels(filter?: string): string[] {
  return [...REGISTRY.keys()].filter((k) => !filter || k.includes(filter)).sort();
}
