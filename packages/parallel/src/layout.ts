import type { Module } from '@nextnets/core-layers';
import type { StateEntry } from './protocol';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The replicated state of `model` (parameters, then buffers) with offsets into one float32 block. */
export function stateLayout(model: Module): { entries: StateEntry[]; totalParams: number; total: number } {
  const entries: StateEntry[] = [];
  let offset = 0;
  for (const [name, p] of model.namedParameters()) {
    entries.push({ name, kind: 'param', shape: [...p.variable.shape], offset });
    offset += size(p.variable.shape);
  }
  const totalParams = offset;
  for (const [name, b] of model.namedBuffers()) {
    entries.push({ name, kind: 'buffer', shape: [...b.variable.shape], offset });
    offset += size(b.variable.shape);
  }
  return { entries, totalParams, total: offset };
}

/** The first difference between the main thread's layout and a replica's, as a one-line message (null if equal). */
export function layoutMismatch(expected: StateEntry[], actual: StateEntry[]): string | null {
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const e = expected[i];
    const a = actual[i];
    if (!e) return `replica has an extra ${a.kind} ${a.name} [${a.shape}]`;
    if (!a) return `replica lacks ${e.kind} ${e.name} [${e.shape}]`;
    if (e.name !== a.name || e.kind !== a.kind) return `replica ${a.kind} ${a.name} where the model has ${e.kind} ${e.name}`;
    if (e.shape.join() !== a.shape.join()) return `replica ${a.name} has shape [${a.shape}], the model [${e.shape}]`;
  }
  return null;
}

/** Tensors of the state in `layout` order (parameters then buffers). */
export function stateVariables(model: Module) {
  return [...model.namedParameters().map(([, p]) => p.variable), ...model.namedBuffers().map(([, b]) => b.variable)];
}

export const elementCount = size;
