import type * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';

/** timm's `pretrained_cfg` essentials: how images are sized and normalised for a model. */
export interface PretrainedCfg {
  inputSize: [number, number, number];
  mean: [number, number, number];
  std: [number, number, number];
  cropPct: number;
  interpolation: 'bilinear' | 'bicubic' | 'nearest';
}

export const IMAGENET_DEFAULT_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_DEFAULT_STD: [number, number, number] = [0.229, 0.224, 0.225];

/**
 * The common surface of every image classifier, as in timm: features before pooling, the head, a replaceable
 * classifier, and the facts an optimizer needs (which params skip weight decay, layer ids for layer-wise lr decay).
 */
export abstract class ImageClassifier extends Module {
  abstract readonly numClasses: number;
  /** Channels of the pre-pool feature map (what the head consumes). */
  abstract readonly numFeatures: number;

  /** Stem and stages: the NHWC feature map before global pooling (timm `forward_features`). */
  abstract forwardFeatures(x: tf.Tensor): tf.Tensor;

  /** Pooling and classifier; with `preLogits` the pooled (and head-normed) features (timm `forward_head`). */
  abstract forwardHead(features: tf.Tensor, preLogits?: boolean): tf.Tensor;

  /** Replaces the classifier with a freshly initialised one for `numClasses` (0 = no classifier). */
  abstract resetClassifier(numClasses: number): void;

  forward(x: tf.Tensor): tf.Tensor {
    return this.forwardHead(this.forwardFeatures(x));
  }

  /**
   * Whether a parameter is excluded from weight decay. Default: the timm/ConvNeXt rule (1-D tensors — biases, norm
   * weights, layer-scale gamma, GRN — and anything named `*.bias`, ConvNeXt's official recipe, main.py/optim_factory.py).
   */
  noWeightDecay(name: string): boolean {
    const p = this.namedParameters().find(([n]) => n === name);
    return name.endsWith('.bias') || (p !== undefined && p[1].shape.length <= 1);
  }

  /**
   * Layer ids for layer-wise lr decay: `numLayers` and the id of each parameter (0 = stem … numLayers + 1 = head),
   * so that lr scale = decay^(numLayers + 1 − id). Families that support it override this.
   */
  layerDecayGroups(_scheme?: string): { numLayers: number; layerId: (name: string) => number } | null {
    return null;
  }
}
