import * as tf from '@tensorflow/tfjs-core';
import type { BatchNorm2d, Conv2d } from '@nextnets/core-layers';

/** A conv kernel in the internal layout of `Conv2d` ([kh,kw,in/g,out] dense, [kh,kw,C,m] depthwise) and its bias [out]. */
export interface KernelBias {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/**
 * BN's eval-mode affine as a per-output-channel scale and shift (RepVGG paper; timm byobnet.py `_fuse_bn_tensor`):
 * `t = γ/√(σ²+ε)`, `shift = β − μ·t`.
 */
function bnScaleShift(bn: BatchNorm2d): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  return tf.tidy(() => {
    const scale = tf.div(bn.weight, tf.sqrt(tf.add(bn.runningVar, bn.eps))) as tf.Tensor1D;
    const shift = tf.sub(bn.bias, tf.mul(bn.runningMean, scale)) as tf.Tensor1D;
    return { scale, shift };
  });
}

/**
 * Multiplies every output channel of an internal-layout kernel by `scale[out]`. Dense kernels keep the output
 * channel on the last axis; depthwise kernels [kh,kw,C,m] hold output channel c·m + j at [.., c, j].
 */
function scaleOutputChannels(kernel: tf.Tensor4D, scale: tf.Tensor1D, depthwise: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , a, b] = kernel.shape;
    const s = depthwise ? tf.reshape(scale, [1, 1, a, b]) : tf.reshape(scale, [1, 1, 1, b]);
    return tf.mul(kernel, s) as tf.Tensor4D;
  });
}

/** Folds BN into the preceding bias-free conv: `W' = W·t`, `b' = β − μ·t` (RepVGG paper; timm byobnet.py). */
export function foldConvBn(conv: Conv2d, bn: BatchNorm2d): KernelBias {
  if (conv.outChannels !== bn.numFeatures) {
    throw new Error(`foldConvBn: conv has ${conv.outChannels} output channels but BN has ${bn.numFeatures}`);
  }
  return tf.tidy(() => {
    const { scale, shift } = bnScaleShift(bn);
    const kernel = scaleOutputChannels(conv.weight as tf.Tensor4D, scale, conv.isDepthwise);
    const bias = conv.bias ? (tf.add(shift, tf.mul(conv.bias, scale)) as tf.Tensor1D) : shift;
    return { kernel, bias };
  });
}

/**
 * Folds a lone BN acting as an identity branch: the identity is a conv whose kernel has a single 1 at the centre,
 * `id[i, i mod (C/g), k//2, k//2] = 1` in PyTorch layout (RepVGG paper; timm byobnet.py), here `[k//2, k//2, i mod (C/g), i]`.
 */
export function foldIdentityBn(bn: BatchNorm2d, groups: number, kernelSize: number): KernelBias {
  const channels = bn.numFeatures;
  const inPerGroup = channels / groups;
  const c = Math.floor(kernelSize / 2);
  const data = new Float32Array(kernelSize * kernelSize * inPerGroup * channels);
  // Internal layout index of [kh, kw, in/g, out] is ((kh·K + kw)·(C/g) + inIdx)·C + out.
  for (let i = 0; i < channels; i++) data[((c * kernelSize + c) * inPerGroup + (i % inPerGroup)) * channels + i] = 1;
  return tf.tidy(() => {
    const identity = tf.tensor4d(data, [kernelSize, kernelSize, inPerGroup, channels]);
    const { scale, shift } = bnScaleShift(bn);
    return { kernel: scaleOutputChannels(identity, scale, false), bias: shift };
  });
}

/** Zero-pads a k×k kernel symmetrically to `size`×`size` (1×1 → 3×3 in RepVGG, 5×5 → K×K in RepLKNet). */
export function padKernel(kernel: tf.Tensor4D, size: number): tf.Tensor4D {
  const [kh, kw] = kernel.shape;
  if ((size - kh) % 2 !== 0 || (size - kw) % 2 !== 0 || kh > size || kw > size) {
    throw new Error(`padKernel: cannot centre a ${kh}x${kw} kernel in ${size}x${size}`);
  }
  const ph = (size - kh) / 2;
  const pw = (size - kw) / 2;
  return tf.pad(kernel, [
    [ph, ph],
    [pw, pw],
    [0, 0],
    [0, 0],
  ]);
}

/** Sums branches (kernels already padded to one size): `K = ΣKᵢ`, `b = Σbᵢ`. */
export function sumBranches(branches: KernelBias[]): KernelBias {
  if (branches.length === 0) throw new Error('sumBranches: no branches to fuse');
  return tf.tidy(() => ({
    kernel: tf.addN(branches.map((b) => b.kernel)) as tf.Tensor4D,
    bias: tf.addN(branches.map((b) => b.bias)) as tf.Tensor1D,
  }));
}

/** Frees the tensors of fused branches. */
export function disposeKernelBias(parts: KernelBias[]): void {
  for (const p of parts) {
    p.kernel.dispose();
    p.bias.dispose();
  }
}
