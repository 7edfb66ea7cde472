import type * as tf from '@tensorflow/tfjs-core';
import { Module, type Initializer } from '../module.js';
import { Linear } from './linear.js';
import { Dropout } from './drop.js';
import { globalAvgPool } from './pooling.js';

/** timm `ClassifierHead`: global average pool → dropout → `fc` (numClasses 0 gives pooled features). Key `fc`. */
export class ClassifierHead extends Module {
  readonly fc: Linear | null;
  private readonly drop: Dropout;

  constructor(inFeatures: number, numClasses: number, dropRate = 0, init: { weightInit?: Initializer; biasInit?: Initializer } = {}) {
    super();
    this.fc = numClasses > 0 ? this.addModule('fc', new Linear({ inFeatures, outFeatures: numClasses, ...init })) : null;
    this.drop = this.addModule('drop', new Dropout(dropRate));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const pooled = globalAvgPool(x);
    return this.fc ? this.fc.forward(this.drop.forward(pooled)) : pooled;
  }
}
