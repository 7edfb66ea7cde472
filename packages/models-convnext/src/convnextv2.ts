import * as tf from '@tensorflow/tfjs-core';
import { registerModel, type ModelOverrides } from '@nextnets/core-layers';
import { CONVNEXT_PRETRAINED_CFG, ConvNeXt, PACKAGE_NAME, convNeXtConfig, type ConvNeXtConfig } from './convnext.js';

/**
 * ConvNeXt-V2 (ConvNeXt V2 paper; official convnextv2.py): ConvNeXt with GRN in every block MLP and no layer scale (`lsInitValue` null). Adds the
 * masked forward FCMAE pre-training needs (ConvNeXt V2 FCMAE; official fcmae.py "Dense emulation").
 */
export class ConvNeXtV2 extends ConvNeXt {
  constructor(config: Omit<ConvNeXtConfig, 'useGrn'>) {
    super({ ...config, useGrn: true });
  }

  /**
   * Encoder forward with a binary mask, emulating FCMAE's sparse convolutions densely (ConvNeXt V2 FCMAE; official fcmae.py):
   * `mask` is [N, h, w, 1] at the stem-output resolution (1 = removed, 0 = visible). After the stem x·(1 − mask);
   * in every block the dwconv input and output are multiplied by (1 − mask) at the block's resolution and GRN's Gx is
   * computed on the masked hidden tensor; the residual adds the block input. At each downsample the mask is
   * subsampled by strided slicing (exact for masks aligned to 2^(stages−1) stem pixels, as FCMAE's 32-px patches
   * are). The result is multiplied by (1 − mask) at the last resolution, so removed positions read 0 like the
   * sparse tensor's `.dense()`. Returns the NHWC feature map [N, h/2^(S−1), w/2^(S−1), C].
   */
  forwardFeaturesMasked(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const stemOut = this.stem.forward(x);
      const [n, h, w] = stemOut.shape;
      if (mask.rank !== 4 || mask.shape[0] !== n || mask.shape[1] !== h || mask.shape[2] !== w || mask.shape[3] !== 1) {
        throw new Error(`forwardFeaturesMasked: mask has shape [${mask.shape.join(',')}], expected [${n},${h},${w},1] (stem output)`);
      }
      let keep: tf.Tensor = tf.sub(1, mask);
      let y = tf.mul(stemOut, keep);
      for (const stage of this.stageList()) {
        if (stage.downsample) {
          y = stage.downsample.forward(y);
          keep = subsampleMask(keep, y.shape[1] as number, y.shape[2] as number);
        }
        for (const block of stage.blockList()) y = block.forwardMasked(y, keep);
      }
      return tf.mul(y, keep);
    });
  }
}

/** Nearest subsampling of a [N, H, W, 1] mask to [N, h, w, 1] (stride H/h), matching a k2 s2 downsample. */
function subsampleMask(mask: tf.Tensor, h: number, w: number): tf.Tensor {
  const [n, mh, mw] = mask.shape;
  const sh = Math.floor(mh / h);
  const sw = Math.floor(mw / w);
  return tf.stridedSlice(mask, [0, 0, 0, 0], [n, h * sh, w * sw, 1], [1, sh, sw, 1]);
}

/** ConvNeXt-V2 variants (ConvNeXt V2 paper; official convnextv2.py); atto…nano use conv_mlp as in timm. */
const V2_VARIANTS: Record<string, { depths: number[]; dims: number[]; convMlp: boolean }> = {
  convnextv2_atto: { depths: [2, 2, 6, 2], dims: [40, 80, 160, 320], convMlp: true },
  convnextv2_femto: { depths: [2, 2, 6, 2], dims: [48, 96, 192, 384], convMlp: true },
  convnextv2_pico: { depths: [2, 2, 6, 2], dims: [64, 128, 256, 512], convMlp: true },
  convnextv2_nano: { depths: [2, 2, 8, 2], dims: [80, 160, 320, 640], convMlp: true },
  convnextv2_tiny: { depths: [3, 3, 9, 3], dims: [96, 192, 384, 768], convMlp: false },
  convnextv2_small: { depths: [3, 3, 27, 3], dims: [96, 192, 384, 768], convMlp: false },
  convnextv2_base: { depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024], convMlp: false },
  convnextv2_large: { depths: [3, 3, 27, 3], dims: [192, 384, 768, 1536], convMlp: false },
  convnextv2_huge: { depths: [3, 3, 27, 3], dims: [352, 704, 1408, 2816], convMlp: false },
};

/** Builds a ConvNeXt-V2 variant by timm name with overrides. */
function createV2(name: string, overrides: ModelOverrides): ConvNeXtV2 {
  const config = convNeXtConfig(name, { ...V2_VARIANTS[name], lsInitValue: null, useGrn: true }, overrides);
  return new ConvNeXtV2(config);
}

for (const name of Object.keys(V2_VARIANTS)) {
  registerModel({
    name,
    family: 'convnextv2',
    packageName: PACKAGE_NAME,
    pretrainedCfg: CONVNEXT_PRETRAINED_CFG,
    create: (overrides = {}) => createV2(name, overrides),
  });
}
