import type * as tf from '@tensorflow/tfjs-core';
import { Module, type Initializer } from '../module.js';
import { Linear } from './linear.js';
import { Dropout } from './drop.js';
import { GlobalResponseNorm } from './grn.js';
import { gelu, type ActivationFn } from './activations.js';

export interface MlpOptions {
  inFeatures: number;
  hiddenFeatures: number;
  outFeatures?: number;
  act?: ActivationFn;
  drop?: number;
  /** `conv1x1` gives timm's ConvMlp checkpoint shapes ([out, in, 1, 1]). */
  checkpointAs?: 'linear' | 'conv1x1';
  /** Insert ConvNeXt-V2 GRN after the activation (timm `GlobalResponseNormMlp`). */
  grn?: boolean;
  weightInit?: Initializer;
  biasInit?: Initializer;
}

/** timm `Mlp` / `ConvMlp` / `GlobalResponseNormMlp`: fc1 → act → drop → [grn] → fc2 → drop. Keys `fc1`, `grn`, `fc2`. */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly grn: GlobalResponseNorm | null;
  readonly fc2: Linear;
  private readonly act: ActivationFn;
  private readonly drop: Dropout;

  constructor(opts: MlpOptions) {
    super();
    const common = { checkpointAs: opts.checkpointAs ?? 'linear', weightInit: opts.weightInit, biasInit: opts.biasInit } as const;
    this.fc1 = this.addModule('fc1', new Linear({ inFeatures: opts.inFeatures, outFeatures: opts.hiddenFeatures, ...common }));
    this.grn = opts.grn ? this.addModule('grn', new GlobalResponseNorm(opts.hiddenFeatures)) : null;
    this.fc2 = this.addModule(
      'fc2',
      new Linear({ inFeatures: opts.hiddenFeatures, outFeatures: opts.outFeatures ?? opts.inFeatures, ...common }),
    );
    this.act = opts.act ?? gelu;
    this.drop = this.addModule('drop', new Dropout(opts.drop ?? 0));
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = this.drop.forward(this.act(this.fc1.forward(x)));
    if (this.grn) y = this.grn.forward(y);
    return this.drop.forward(this.fc2.forward(y));
  }
}
