import type * as tf from '@tensorflow/tfjs-core';

/** A trainable variable with its timm-style dotted name, e.g. `stages.1.blocks.0.conv_dw.weight`. */
export interface NamedParam {
  name: string;
  variable: tf.Variable;
}

/** Gradients keyed by parameter name (what `tf.variableGrads` returns, re-keyed by our names). */
export type Grads = Record<string, tf.Tensor>;

/**
 * Serialisable state of an optimizer, scheduler or EMA: plain JSON plus named tensors.
 * The tensors are copies owned by the caller (dispose them when done).
 */
export interface SavedState {
  json: Record<string, unknown>;
  tensors: Map<string, tf.Tensor>;
}

/** Anything whose state can be saved and restored for exact resumption. */
export interface Stateful {
  state(): SavedState;
  loadState(saved: SavedState): void;
}
