/**
 * Records the TensorFlow.js kernels a forward pass runs. Every op of tfjs-core dispatches through
 * `engine.runKernel(name, inputs, attrs)`, so wrapping that one method while the forward runs yields each kernel
 * with its attributes and the identity (tensor id) of its inputs and outputs — a trace, the way `torch.jit.trace`
 * and `torch.onnx.export` record a PyTorch forward. Kernels whose inputs are all constants (parameters, buffers or
 * values derived from them, such as eval-mode BatchNorm scales) are folded: only their results are kept, as
 * constants, when an input-dependent kernel consumes them.
 */
import * as tf from '@tensorflow/tfjs-core';

export type TracedData = Float32Array | Int32Array | Uint8Array;

/** A kernel input or output: a value computed from the traced input, or a constant captured at trace time. */
export type TracedRef =
  | { kind: 'value'; id: number; shape: number[]; dtype: tf.DataType }
  | { kind: 'const'; id: number; shape: number[]; dtype: tf.DataType; data: TracedData; param?: string };

export interface TracedKernel {
  kernel: string;
  attrs: Record<string, unknown>;
  /** Inputs in the kernel's own order (`x`, `filter`, `bias`, … or `0`, `1`, … for Concat/AddN); null = absent. */
  inputs: Array<[string, TracedRef | null]>;
  outputs: Array<{ id: number; shape: number[]; dtype: tf.DataType }>;
}

export interface Trace {
  input: { id: number; shape: number[] };
  kernels: TracedKernel[];
  output: TracedRef;
}

type RunKernel = (name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) => tf.Tensor | tf.Tensor[];

/**
 * Runs `forward(input)` once and returns its kernel trace. `paramNames` maps a variable's tensor id to its
 * state_dict key, so that constants which are parameters keep their names. Every tensor the forward creates is disposed.
 */
export function traceForward(
  forward: (x: tf.Tensor) => tf.Tensor,
  input: tf.Tensor,
  paramNames: ReadonlyMap<number, string>,
): Trace {
  const engine = tf.engine() as unknown as { runKernel: RunKernel };
  const original = engine.runKernel;
  const values = new Set<number>([input.id]);
  const constants = new Map<number, TracedRef>();
  const kernels: TracedKernel[] = [];
  let depth = 0;

  const refOf = (t: tf.Tensor): TracedRef => {
    if (values.has(t.id)) return { kind: 'value', id: t.id, shape: [...t.shape], dtype: t.dtype };
    let ref = constants.get(t.id);
    if (!ref) {
      const data = t.dataSync();
      if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array)) {
        throw new Error(`ONNX export: constant of dtype ${t.dtype} is not supported`);
      }
      ref = { kind: 'const', id: t.id, shape: [...t.shape], dtype: t.dtype, data: data.slice(), param: paramNames.get(t.id) };
      constants.set(t.id, ref);
    }
    return ref;
  };

  engine.runKernel = function traced(this: unknown, name, inputs, attrs) {
    // Kernels that call other kernels (or ops inside a kernel) are part of their caller.
    if (depth > 0) return original.call(engine, name, inputs, attrs);
    const entries = Object.entries(inputs);
    const dependsOnInput = entries.some(([, t]) => t != null && values.has(t.id));
    depth++;
    let out: tf.Tensor | tf.Tensor[];
    try {
      out = original.call(engine, name, inputs, attrs);
    } finally {
      depth--;
    }
    if (!dependsOnInput) return out;
    const outs = Array.isArray(out) ? out : [out];
    kernels.push({
      kernel: name,
      attrs: { ...(attrs ?? {}) } as Record<string, unknown>,
      inputs: entries.map(([key, t]) => [key, t == null ? null : refOf(t)]),
      outputs: outs.map((t) => ({ id: t.id, shape: [...t.shape], dtype: t.dtype })),
    });
    for (const t of outs) values.add(t.id);
    return out;
  } as RunKernel;

  try {
    let output: TracedRef | undefined;
    // The tidy frees every intermediate; it returns nothing (a trace holds large typed arrays, not tensors).
    tf.tidy(() => {
      output = refOf(forward(input));
    });
    return { input: { id: input.id, shape: [...input.shape] }, kernels, output: output! };
  } finally {
    engine.runKernel = original;
  }
}
