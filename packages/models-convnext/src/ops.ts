import * as tf from '@tensorflow/tfjs-core';
import { FUSED_GELU, FUSED_GELU_GRAD } from '@nextnets/backend/kernel-names';
import { gelu, reportMacs, type Conv2d, type Linear } from '@nextnets/core-layers';

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

/**
 * `GELU(h)·W + b` saving only `h` (and W) for the backward pass, which recomputes GELU(h) for dW: the MLP's widest
 * tensor (4·C channels) is then kept once per block instead of twice (PyTorch keeps both: GELU saves its input, the
 * Linear its own). One extra GELU pass in the backward; the values are bit-identical to GELU then `matMulBias` (same
 * kernels on the same operands).
 */
const geluMatMulBias = tf.customGrad((h, w, b, save) => {
  const [h2, w2] = [h as tf.Tensor2D, w as tf.Tensor2D];
  (save as tf.GradSaveFunc)([h2, w2]);
  const g = tf.engine().runKernel(FUSED_GELU, { x: h2 }) as tf.Tensor2D;
  return {
    value: tf.fused.matMul({ a: g, b: w2, bias: b as tf.Tensor }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [hs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dy2 = dy as tf.Tensor2D;
        // dW first, freeing the recomputed GELU(h) before dg and dh exist: two hidden-size transients at a time, not
        // three (the wasm heap never shrinks, so the backward's transients at stage 1 set its high-water mark).
        const gs = tf.engine().runKernel(FUSED_GELU, { x: hs }) as tf.Tensor2D;
        const dw = tf.matMul(gs, dy2, true, false);
        gs.dispose();
        const dg = tf.matMul(dy2, ws, false, true);
        const dh = tf.engine().runKernel(FUSED_GELU_GRAD, { dy: dg, x: hs }) as tf.Tensor;
        dg.dispose();
        return [dh, dw, tf.sum(dy2, 0)];
      }),
  };
});

function fusedGeluAvailable(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(FUSED_GELU, backend) != null && tf.getKernel(FUSED_GELU_GRAD, backend) != null;
}

/** `linearRows(linear, gelu(h))`, with the memory-saving backward above where the backend has the fused GELU kernels. */
export function geluLinearRows(linear: Linear, h: tf.Tensor2D): tf.Tensor2D {
  if (!linear.bias || h.dtype !== 'float32' || !fusedGeluAvailable()) return linearRows(linear, gelu(h) as tf.Tensor2D);
  reportMacs(h.shape[0] * linear.inFeatures * linear.outFeatures);
  return geluMatMulBias(h, linear.weight, linear.bias) as tf.Tensor2D;
}
