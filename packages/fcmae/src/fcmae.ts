import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, Sequential, defaultRng, normalInit, zerosInit, type ModelOverrides } from '@nextnets/core-layers';
import { ConvNeXtBlock } from '@nextnets/models-convnext';
import { FcmaeEncoder } from './encoder.js';
import { applyFcmaeDecoderBlockInit, applyFcmaeEncoderInit, decoderConvInit, type FcmaeInit } from './init.js';
import { maskedReconstructionLoss } from './loss.js';
import { generateRandomMask, type NormalSource } from './mask.js';
import { checkImages, patchify } from './patchify.js';

export interface FcmaeOptions {
  /** Encoder: a registered `convnextv2_*` model name (default 'convnextv2_atto'). */
  encoder?: string;
  /** Overrides for the encoder (depths, dims, patchSize = stem stride, inChans, dropPathRate, …); numClasses is ignored. */
  encoderOverrides?: ModelOverrides;
  /** Decoder width (official `decoder_embed_dim`, 512). */
  decoderDim?: number;
  /** Number of ConvNeXt-V2 decoder blocks (official `decoder_depth`, 1). */
  decoderDepth?: number;
  /** Fraction of patches removed (0.6). */
  maskRatio?: number;
  /** Normalise each target patch by its mean and (unbiased) variance (true, as `main_pretrain.py`). */
  normPixLoss?: boolean;
  /** Expected patch size; must equal the encoder's total stride (checked). Default: the total stride. */
  patchSize?: number;
  /** Weight init, see {@link FcmaeInit} (default 'fcmae', the literal spec reading). */
  init?: FcmaeInit;
}

/** Everything one masked-reconstruction pass produces. */
export interface FcmaeOutput {
  /** Masked MSE (scalar). */
  loss: tf.Scalar;
  /** Predicted patches [N, L, p·p·C] (pixel order p, q, c; normalised-patch space when normPixLoss). */
  pred: tf.Tensor3D;
  /** The mask used, [N, h, w, 1] at patch resolution (1 = removed). */
  mask: tf.Tensor4D;
}

/**
 * ConvNeXt-V2 fully convolutional masked autoencoder (official `models/fcmae.py`, ConvNeXt V2 FCMAE; official fcmae.py).
 * Keys: `mask_token` [1, D, 1, 1], `encoder.stem.*`, `encoder.stages.*` (timm ConvNeXt-V2 keys under `encoder.`),
 * `proj.*` (1×1 conv [D, C, 1, 1]), `decoder.{i}.*` (ConvNeXt-V2 blocks, timm block keys), `pred.*` (1×1 conv
 * [p²·inChans, D, 1, 1]).
 */
export class FCMAE extends Module {
  readonly encoder: FcmaeEncoder;
  readonly proj: Linear;
  /** Internal shape [1, 1, D, 1] with the `conv` layout, i.e. PyTorch's [1, D, 1, 1]; used as [1, 1, 1, D] (NHWC). */
  readonly maskToken: tf.Variable;
  readonly decoder: Sequential;
  readonly pred: Linear;
  readonly patchSize: number;
  readonly maskRatio: number;
  readonly normPixLoss: boolean;
  readonly decoderDim: number;
  readonly decoderDepth: number;
  readonly inChans: number;
  readonly initMode: FcmaeInit;

  constructor(options: FcmaeOptions = {}) {
    super();
    const decoderDim = options.decoderDim ?? 512;
    const decoderDepth = options.decoderDepth ?? 1;
    const maskRatio = options.maskRatio ?? 0.6;
    if (!Number.isInteger(decoderDim) || decoderDim < 1) throw new Error(`FCMAE: decoderDim must be a positive integer, got ${decoderDim}`);
    if (!Number.isInteger(decoderDepth) || decoderDepth < 0) throw new Error(`FCMAE: decoderDepth must be an integer >= 0, got ${decoderDepth}`);
    if (!(maskRatio > 0 && maskRatio < 1)) throw new Error(`FCMAE: maskRatio must be in (0, 1), got ${maskRatio}`);
    const initMode = options.init ?? 'fcmae';
    if (initMode !== 'fcmae' && initMode !== 'timm') throw new Error(`FCMAE: init must be 'fcmae' or 'timm', got '${String(initMode)}'`);
    this.decoderDim = decoderDim;
    this.decoderDepth = decoderDepth;
    this.maskRatio = maskRatio;
    this.normPixLoss = options.normPixLoss ?? true;
    this.initMode = initMode;

    this.maskToken = this.addParameter('mask_token', [1, 1, decoderDim, 1], normalInit(0, 0.02), 'conv');
    this.encoder = this.addModule('encoder', new FcmaeEncoder(options.encoder ?? 'convnextv2_atto', options.encoderOverrides));
    if (initMode === 'fcmae') applyFcmaeEncoderInit(this.encoder);
    this.patchSize = this.encoder.totalStride;
    if (options.patchSize !== undefined && options.patchSize !== this.patchSize) {
      throw new Error(
        `FCMAE: patchSize ${options.patchSize} does not match the encoder's total stride ${this.patchSize} (stem stride ${this.encoder.stemStride})`,
      );
    }
    this.inChans = this.encoder.inChans;

    const conv1x1 = (inFeatures: number, outFeatures: number) =>
      new Linear({ inFeatures, outFeatures, checkpointAs: 'conv1x1', weightInit: decoderConvInit(initMode), biasInit: zerosInit });
    this.proj = this.addModule('proj', conv1x1(this.encoder.numFeatures, decoderDim));
    const blocks = Array.from({ length: decoderDepth }, () => {
      const block = new ConvNeXtBlock({ dim: decoderDim, useGrn: true, lsInitValue: null, dropPath: 0 });
      if (initMode === 'fcmae') applyFcmaeDecoderBlockInit(block);
      return block;
    });
    this.decoder = this.addModule('decoder', new Sequential(blocks));
    this.pred = this.addModule('pred', conv1x1(decoderDim, this.patchSize * this.patchSize * this.inChans));
  }

  /** Patch-grid size [h, w] of an H×W input. */
  gridSize(height: number, width: number): [number, number] {
    const p = this.patchSize;
    if (height % p !== 0 || width % p !== 0) throw new Error(`FCMAE: image size ${height}×${width} is not a multiple of the patch size ${p}`);
    return [height / p, width / p];
  }

  /** A fresh random mask [N, h, w, 1] for a batch of H×W images (ConvNeXt V2 FCMAE; official fcmae.py masking, this model's maskRatio). */
  randomMask(batch: number, height: number, width: number, rng: NormalSource = defaultRng()): tf.Tensor4D {
    const [h, w] = this.gridSize(height, width);
    return generateRandomMask(batch, h, w, this.maskRatio, rng);
  }

  /** Encoder features [N, h, w, C] in sparse-emulation mode; removed positions are 0. */
  forwardEncoder(imgs: tf.Tensor, mask: tf.Tensor): tf.Tensor4D {
    return this.encoder.forwardMasked(imgs, mask) as tf.Tensor4D;
  }

  /** Decoder (ConvNeXt V2 FCMAE; official fcmae.py `forward_decoder`): proj → mask token at removed positions → blocks → pred, as [N, L, p²·C]. */
  forwardDecoder(features: tf.Tensor, mask: tf.Tensor): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, h, w] = features.shape as number[];
      const x = this.proj.forward(features);
      const token = tf.reshape(this.maskToken, [1, 1, 1, this.decoderDim]);
      const mixed = tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(token, mask));
      const out = this.pred.forward(this.decoder.forward(mixed));
      return tf.reshape(out, [n, h * w, this.pred.outFeatures]) as tf.Tensor3D;
    });
  }

  /** Masked reconstruction loss of predictions [N, L, p²·C] against the images (ConvNeXt V2 FCMAE; official fcmae.py `forward_loss`). */
  forwardLoss(imgs: tf.Tensor, pred: tf.Tensor, mask: tf.Tensor): tf.Scalar {
    checkImages('FCMAE', imgs, this.patchSize);
    return tf.tidy(() => maskedReconstructionLoss(pred, patchify(imgs, this.patchSize), mask, this.normPixLoss));
  }

  /**
   * One full pass with the given (or a fresh random) mask: loss, predictions and the mask — the caller's tensor when
   * one was passed, else a new one. The caller disposes them.
   */
  run(imgs: tf.Tensor, mask?: tf.Tensor4D): FcmaeOutput {
    const [n, h, w] = checkImages('FCMAE', imgs, this.patchSize);
    const m = mask ?? this.randomMask(n, h, w);
    const { loss, pred } = tf.tidy(() => {
      const p = this.forwardDecoder(this.forwardEncoder(imgs, m), m);
      return { pred: p, loss: this.forwardLoss(imgs, p, m) };
    });
    return { loss, pred, mask: m };
  }

  /** The scalar training loss for images and a mask (what `valueAndGrads` differentiates). */
  loss(imgs: tf.Tensor, mask: tf.Tensor4D): tf.Scalar {
    return tf.tidy(() => this.forwardLoss(imgs, this.forwardDecoder(this.forwardEncoder(imgs, mask), mask), mask));
  }

  /** Predicted patches [N, L, p²·C] with a fresh random mask from the global RNG (the official `forward` with its own mask). */
  forward(imgs: tf.Tensor): tf.Tensor {
    const { loss, pred, mask } = this.run(imgs);
    tf.dispose([loss, mask]);
    return pred;
  }
}
