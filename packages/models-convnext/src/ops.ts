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

/** A Linear (or timm 1×1 conv) applied as one fused matmul + bias on a [rows, in] matrix. Reports MACs. */
export function linearRows(linear: Linear, rows: tf.Tensor2D): tf.Tensor2D {
  reportMacs(rows.shape[0] * linear.inFeatures * linear.outFeatures);
  return tf.fused.matMul({ a: rows, b: linear.weight as tf.Tensor2D, bias: linear.bias ?? undefined }) as tf.Tensor2D;
}
