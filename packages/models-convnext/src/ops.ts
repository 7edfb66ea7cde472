import * as tf from '@tensorflow/tfjs-core';
import { reportMacs, type Conv2d, type Linear } from '@nextnets/core-layers';

/**
 * Depthwise conv + bias in one fused kernel ('same' padding, stride 1: k//2 on each side for the odd kernels used by
 * ConvNeXt 7×7 and InceptionNeXt 3×3 / 1×k / k×1, exactly PyTorch's symmetric padding; the blocks reject even
 * kernels). Reports MACs like Conv2d.
 */
export function depthwiseSame(conv: Conv2d, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [kh, kw] = conv.kernelSize;
  reportMacs(n * h * w * c * kh * kw);
  return tf.fused.depthwiseConv2d({
    x,
    filter: conv.weight as tf.Tensor4D,
    strides: 1,
    pad: 'same',
    bias: conv.bias ?? undefined,
  });
}

/**
 * `x·W + b` in one fused kernel, with the backward pass dX = dY·Wᵀ, dW = Xᵀ·dY, db = Σ_rows dY. The transposes are
 * matmul flags, not copies: @nextnets/backend's wasm matmul computes all three products directly on the heap (and
 * without its SIMD kernels materialises a transposed operand itself); other backends take the flags natively.
 */
const matMulBias = tf.customGrad((x, w, b, save) => {
  const [x2, w2] = [x as tf.Tensor2D, w as tf.Tensor2D];
  (save as tf.GradSaveFunc)([x2, w2]);
  return {
    value: tf.fused.matMul({ a: x2, b: w2, bias: b as tf.Tensor }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, ws, false, true), tf.matMul(xs, dy2, true, false), tf.sum(dy2, 0)];
    },
  };
});

/** A Linear (or timm 1×1 conv) applied as one fused matmul + bias on a [rows, in] matrix. Reports MACs. */
export function linearRows(linear: Linear, rows: tf.Tensor2D): tf.Tensor2D {
  reportMacs(rows.shape[0] * linear.inFeatures * linear.outFeatures);
  if (!linear.bias) return tf.matMul(rows, linear.weight as tf.Tensor2D);
  return matMulBias(rows, linear.weight, linear.bias) as tf.Tensor2D;
}
