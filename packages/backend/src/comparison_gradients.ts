import * as tf from '@tensorflow/tfjs-core';

/**
 * Comparisons and logical ops are piecewise constant, so their gradient is zero (TensorFlow returns None).
 * tfjs registers no gradient for them, which makes `tf.grad` throw "gradient function not found for Greater"
 * as soon as a mask computed from a differentiated tensor (e.g. `where(greater(x, 0), x, 0)`) is on the path.
 */
const BINARY = ['a', 'b'];
const UNARY = ['x'];
const ZERO_GRADIENT_INPUTS: Record<string, string[]> = {
  [tf.Greater]: BINARY,
  [tf.GreaterEqual]: BINARY,
  [tf.Less]: BINARY,
  [tf.LessEqual]: BINARY,
  [tf.Equal]: BINARY,
  [tf.NotEqual]: BINARY,
  [tf.LogicalAnd]: BINARY,
  [tf.LogicalOr]: BINARY,
  [tf.LogicalNot]: UNARY,
  [tf.IsNan]: UNARY,
  [tf.IsInf]: UNARY,
  [tf.IsFinite]: UNARY,
};

/** Registers zero gradients for the comparison and logical kernels that have none (idempotent). */
export function registerComparisonGradients(): void {
  for (const [kernelName, inputNames] of Object.entries(ZERO_GRADIENT_INPUTS)) {
    if (tf.getGradient(kernelName) != null) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: inputNames,
      gradFunc: (_dy, saved) =>
        Object.fromEntries(inputNames.map((name, i) => [name, () => tf.zerosLike(saved[i])])),
    });
  }
}
