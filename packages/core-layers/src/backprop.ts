import * as tf from '@tensorflow/tfjs-core';

/**
 * Reverse-mode gradients of a scalar loss with the memory policy of PyTorch's autograd: tensors a tape node saved for
 * its gradient are released right after that node's gradient ran, and the gradient of an intermediate tensor is released
 * once every consumer has used it. tfjs-core 4.22's `engine.gradients` keeps both until the whole backward pass ends,
 * so its peak is the saved activations plus the gradient of every intermediate tensor; here the peak is about the saved
 * activations alone (they shrink as the backward pass walks down the network). Same kernels, same order, same sums:
 * the values are identical to `tf.variableGrads`.
 *
 * It also drops, as soon as the forward pass records them, the tensors that the gradients of a few shape-only ops save
 * just to read their shapes (`SHAPE_ONLY_GRADIENTS`): tfjs' Add, for example, keeps both of its inputs alive until the
 * backward pass only to know which axes of dy to sum. A disposed tensor keeps its shape, which is all they read.
 *
 * It reads the engine's tape (`state.activeTape`, `startTape`/`endTape`), which tfjs-core does not export as API but
 * has kept unchanged since 1.x; `leanGradientsSupported()` checks it is there, and inside an enclosing gradient
 * (higher-order derivatives), where the outer tape still needs the saved tensors, callers use `tf.variableGrads`.
 */

/**
 * Kernels whose tfjs-core 4.22 gradient reads nothing but the `shape` (and count) of the tensors it saved: Add/Sub
 * (broadcast reduction axes), Sum/Mean (the shape to broadcast dy back to), Reshape/ExpandDims (the input shape),
 * AddN (one dy per input), PadV2 (the slice size).
 */
const SHAPE_ONLY_GRADIENTS = new Set(['Add', 'Sub', 'Sum', 'Mean', 'Reshape', 'ExpandDims', 'AddN', 'PadV2']);

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, fn: () => T): T;
}

function internals(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/** True when the engine exposes the tape this module walks and no gradient is being recorded around the call. */
export function leanGradientsSupported(): boolean {
  const engine = internals();
  return (
    typeof engine.startTape === 'function' &&
    typeof engine.endTape === 'function' &&
    engine.state != null &&
    engine.state.gradientDepth === 0
  );
}

/** The tape nodes on a path from one of `xs` to `y`, inputs pruned to those that depend on `xs` (as tfjs does). */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      nodeFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      nodeToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodeFromX.has(node.id) || !nodeToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    filtered.push({ ...node, inputs });
  }
  return filtered;
}

/** Gradient of each tensor id, with a count of the map entries holding each gradient tensor (one may be shared). */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly holders = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, grad: tf.Tensor): void {
    this.release(id);
    this.byId.set(id, grad);
    this.holders.set(grad, (this.holders.get(grad) ?? 0) + 1);
  }

  holds(grad: tf.Tensor): boolean {
    return this.holders.has(grad);
  }

  /** Drops the entry of `id`, disposing its tensor when no other entry holds it. */
  release(id: number): void {
    const grad = this.byId.get(id);
    if (grad == null) return;
    this.byId.delete(id);
    const left = (this.holders.get(grad) ?? 1) - 1;
    if (left > 0) {
      this.holders.set(grad, left);
      return;
    }
    this.holders.delete(grad);
    grad.dispose();
  }
}

/**
 * `tf.variableGrads(f, variables)` (trainable variables only) with the lean memory policy above: the loss and the
 * gradients keyed by variable name, for the variables the loss depends on. Call only where `leanGradientsSupported()`.
 */
export function leanVariableGrads(
  f: () => tf.Scalar,
  variables: tf.Variable[],
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const xs = variables.filter((v) => v.trainable);
  if (xs.length === 0) throw new Error('leanVariableGrads: none of the variables is trainable');
  const engine = internals();
  engine.startTape();
  const recording = engine.state.activeTape;
  if (recording != null) {
    recording.push = (...nodes: TapeNode[]): number => {
      for (const node of nodes) if (SHAPE_ONLY_GRADIENTS.has(node.kernelName)) for (const t of node.saved ?? []) t.dispose();
      return Array.prototype.push.apply(recording, nodes);
    };
  }
  let y: tf.Tensor;
  try {
    y = engine.tidy('forward', f);
  } finally {
    engine.endTape();
  }
  if (!(y instanceof tf.Tensor) || y.rank !== 0) {
    throw new Error(`leanVariableGrads: the loss must be a scalar tensor, got ${y instanceof tf.Tensor ? `rank ${y.rank}` : typeof y}`);
  }
  const tape = engine.state.activeTape ?? [];
  const nodes = nodesFromXsToY(tape, xs, y);
  const xIds = new Set(xs.map((x) => x.id));
  try {
    const grads = engine.tidy('backward', () => {
      const map = new GradientMap();
      map.set(y.id, tf.onesLike(y));
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i];
        if (node.gradient == null) throw new Error(`Cannot compute gradient: no gradient function for ${node.kernelName}`);
        // An output no consumer differentiated gets null: the engine's wrapper then passes zeros, as tfjs does.
        const dys = node.outputs.map((o) => map.get(o.id) ?? null) as tf.Tensor[];
        const inputGrads = node.gradient(dys);
        for (const [name, x] of Object.entries(node.inputs)) {
          const closure = inputGrads[name];
          if (closure == null) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}`);
          const dx = tf.tidy(closure);
          if (dx.dtype !== 'float32' || dx.shape.length !== x.shape.length || dx.shape.some((d, k) => d !== x.shape[k])) {
            throw new Error(`gradient of ${node.kernelName} for ${name} is ${dx.dtype} [${dx.shape}], its input is [${x.shape}]`);
          }
          const current = map.get(x.id);
          map.set(x.id, current == null ? dx : tf.add(current, dx));
          if (current != null && !map.holds(dx)) dx.dispose();
        }
        // This node was the last consumer of its outputs' gradients (the tape is in execution order) and its saved
        // tensors have served their only purpose.
        for (const o of node.outputs) if (!xIds.has(o.id)) map.release(o.id);
        for (const t of node.saved ?? []) t.dispose();
      }
      const out: Record<string, tf.Tensor> = {};
      for (const v of xs) {
        const g = map.get(v.id);
        if (g != null) out[v.name] = g;
      }
      return out;
    });
    if (Object.keys(grads).length === 0) {
      throw new Error('leanVariableGrads: the loss does not depend on any of the variables');
    }
    return { value: y as tf.Scalar, grads };
  } finally {
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
  }
}
