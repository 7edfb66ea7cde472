import * as tf from '@tensorflow/tfjs-core';
import { torchDefaultInit, truncNormalInit, type Initializer, type Module } from '@nextnets/core-layers';
import type { ConvNeXtBlock } from '@nextnets/models-convnext';

/**
 * How FCMAE's weights start:
 * - `fcmae` (default): the literal reading of the official `FCMAE._init_weights` (ConvNeXt V2 FCMAE; official fcmae.py), which runs after the
 *   encoder's own init and overrides it. timm's `trunc_normal_` is called without `std`, so the default std = 1.0
 *   (bounds ±2) applies to every dense `nn.Conv2d` (encoder stem conv, decoder `proj`, decoder dwconv, `pred`) and to the
 *   sparse depthwise convs and linears of the encoder blocks (our `conv_dw`, `mlp.fc1`, `mlp.fc2`); the sparse
 *   downsample convs keep trunc_normal(.02); biases 0; norms 1/0; GRN 0; the decoder block's `nn.Linear`s are not
 *   matched and keep PyTorch's default U(±1/√fan_in) (weight and bias); `mask_token` N(0, .02).
 * - `timm`: the conventional small init instead — the encoder keeps its timm init (trunc_normal .02 everywhere, biases
 *   0) and every decoder conv/linear weight gets trunc_normal(.02), biases 0; `mask_token` N(0, .02).
 * Measured consequence of the std-1.0 reading: encoder features reach ~1e3 and predictions at visible positions ~1e5
 * (outside the loss), while the masked loss starts around 2–17 on small models and AdamW lowers it steadily; `timm`
 * starts near loss 1.0 and moves more slowly in short runs.
 */
export type FcmaeInit = 'fcmae' | 'timm';

/** timm `trunc_normal_(t)` with its defaults: std 1.0, absolute bounds ±2. */
export const unitTruncNormalInit: Initializer = truncNormalInit(1.0, -2, 2);

/** Weight init of `proj` and `pred` (1×1 `nn.Conv2d`s) for an init mode. */
export function decoderConvInit(mode: FcmaeInit): Initializer {
  return mode === 'fcmae' ? unitTruncNormalInit : truncNormalInit(0.02);
}

function reinit(variable: tf.Variable, init: Initializer, fanIn?: number): void {
  const value = init([...variable.shape], fanIn === undefined ? undefined : { fanIn, fanOut: 0 });
  variable.assign(value);
  value.dispose();
}

/** Re-initialises the encoder's stem conv and block dwconv/fc weights with std 1.0 (the `fcmae` mode). */
export function applyFcmaeEncoderInit(encoder: Module): void {
  const unitStd = /^(stem\.0|stages\.\d+\.blocks\.\d+\.(conv_dw|mlp\.fc1|mlp\.fc2))\.weight$/;
  for (const [name, p] of encoder.namedParameters()) {
    if (unitStd.test(name)) reinit(p.variable, unitTruncNormalInit);
  }
}

/** The `fcmae` mode for one dense decoder block: dwconv std 1.0, fc1/fc2 PyTorch default (weight and bias). */
export function applyFcmaeDecoderBlockInit(block: ConvNeXtBlock): void {
  reinit(block.convDw.weight, unitTruncNormalInit);
  for (const fc of [block.mlp.fc1, block.mlp.fc2]) {
    reinit(fc.weight, torchDefaultInit, fc.inFeatures);
    if (fc.bias) reinit(fc.bias, torchDefaultInit, fc.inFeatures);
  }
}
