import * as tf from '@tensorflow/tfjs-core';
import { Module, createModel, type Conv2d, type ModelOverrides } from '@nextnets/core-layers';
import { ConvNeXtV2 } from '@nextnets/models-convnext';
import { upsampleMask } from './mask.js';

/**
 * The FCMAE encoder: the stem and stages of a `convnextv2_*` model (no head, like the official SparseConvNeXtV2),
 * under the timm keys `stem.*` and `stages.*`, so that `encoder.` stripped gives a classifier checkpoint.
 * It runs the ConvNeXt-V2 masked forward (ConvNeXt V2 FCMAE; official fcmae.py dense emulation of the sparse encoder).
 */
export class FcmaeEncoder extends Module {
  /** The wrapped classifier; only its stem and stages are registered here (its head is disposed). */
  readonly net: ConvNeXtV2;
  readonly modelName: string;
  /** The overrides the encoder was built with (numClasses forced to 0). */
  readonly overrides: ModelOverrides;
  /** Stride of the patch stem (the stem-output resolution is where the upsampled mask is applied). */
  readonly stemStride: number;
  /** Total stride of stem and downsamples = the FCMAE patch size (32 for the standard 4-stage models). */
  readonly totalStride: number;
  readonly numFeatures: number;
  readonly inChans: number;

  constructor(modelName: string, overrides: ModelOverrides = {}) {
    super();
    if (!modelName.startsWith('convnextv2_')) throw new Error(`FCMAE: encoder must be a convnextv2_* model, got '${modelName}'`);
    this.modelName = modelName;
    this.overrides = { ...overrides, numClasses: 0 };
    const net = createModel(modelName, this.overrides);
    if (!(net instanceof ConvNeXtV2)) throw new Error(`FCMAE: '${modelName}' did not build a ConvNeXtV2 model`);
    this.net = net;
    net.head.dispose();
    this.addModule('stem', net.stem);
    this.addModule('stages', net.stages);
    this.stemStride = net.config.patchSize;
    this.totalStride = net
      .stageList()
      .reduce((s, stage) => s * (stage.downsample ? stage.downsample.at<Conv2d>(1).stride[0] : 1), this.stemStride);
    this.numFeatures = net.numFeatures;
    this.inChans = net.config.inChans;
  }

  /**
   * Features [N, H/s, W/s, C] (s = totalStride) of images [N, H, W, C] with `mask` [N, H/s, W/s, 1] at patch
   * resolution (1 = removed). Removed positions are 0; visible positions never see removed pixels.
   */
  forwardMasked(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    const s = this.totalStride;
    const [n, h, w] = x.shape;
    if (x.rank !== 4 || (h as number) % s !== 0 || (w as number) % s !== 0) {
      throw new Error(`FCMAE encoder: input [${x.shape.join(',')}] must be NHWC with H and W multiples of the patch size ${s}`);
    }
    const expected = [n, (h as number) / s, (w as number) / s, 1];
    if (mask.rank !== 4 || mask.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`FCMAE encoder: mask has shape [${mask.shape.join(',')}], expected [${expected.join(',')}] (patch grid)`);
    }
    return tf.tidy(() => this.net.forwardFeaturesMasked(x, upsampleMask(mask, this.totalStride / this.stemStride)));
  }

  /** Dense (unmasked) features, as the classifier's `forwardFeatures`. */
  forward(x: tf.Tensor): tf.Tensor {
    return this.net.forwardFeatures(x);
  }
}
