import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d,
  DropPath,
  ImageClassifier,
  LayerNorm2d,
  Linear,
  Mlp,
  Module,
  Sequential,
  constantInit,
  globalAvgPool,
  truncNormalInit,
  zerosInit,
} from '../src/index.js';

const timmInit = { weightInit: truncNormalInit(0.02), biasInit: zerosInit };

/** A ConvNeXt block built only from core-layers: dw7×7 → LN → MLP(GELU) → gamma → drop path + residual. */
class TinyBlock extends Module {
  readonly convDw: Conv2d;
  readonly norm: LayerNorm2d;
  readonly mlp: Mlp;
  readonly gamma: tf.Variable;
  readonly dropPath: DropPath;

  constructor(dim: number, dropPath: number) {
    super();
    this.convDw = this.addModule('conv_dw', new Conv2d({ inChannels: dim, outChannels: dim, kernelSize: 7, padding: 3, groups: dim, ...timmInit }));
    this.norm = this.addModule('norm', new LayerNorm2d(dim));
    this.mlp = this.addModule('mlp', new Mlp({ inFeatures: dim, hiddenFeatures: 4 * dim, checkpointAs: 'conv1x1', ...timmInit }));
    this.gamma = this.addParameter('gamma', [dim], constantInit(0.5));
    this.dropPath = this.addModule('drop_path', new DropPath(dropPath));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const y = tf.mul(this.mlp.forward(this.norm.forward(this.convDw.forward(x))), this.gamma);
    return tf.add(x, this.dropPath.forward(y));
  }
}

/** A two-stage ConvNeXt-style classifier for 16×16 inputs, used by the core-layers training tests. */
export class TinyConvNeXt extends ImageClassifier {
  readonly numClasses: number;
  readonly numFeatures = 32;
  readonly stem: Sequential;
  readonly stages: Sequential;
  readonly headNorm: LayerNorm2d;
  readonly fc: Linear;

  constructor(numClasses = 4) {
    super();
    this.numClasses = numClasses;
    this.stem = this.addModule('stem', new Sequential([new Conv2d({ inChannels: 3, outChannels: 16, kernelSize: 2, stride: 2, ...timmInit }), new LayerNorm2d(16)]));
    this.stages = this.addModule(
      'stages',
      new Sequential([
        new Sequential([new TinyBlock(16, 0.1), new TinyBlock(16, 0.1)]),
        new Sequential([new LayerNorm2d(16), new Conv2d({ inChannels: 16, outChannels: 32, kernelSize: 2, stride: 2, ...timmInit }), new TinyBlock(32, 0.1)]),
      ]),
    );
    this.headNorm = this.addModule('head_norm', new LayerNorm2d(32));
    this.fc = this.addModule('fc', new Linear({ inFeatures: 32, outFeatures: numClasses, ...timmInit }));
  }

  forwardFeatures(x: tf.Tensor): tf.Tensor {
    return this.stages.forward(this.stem.forward(x));
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor {
    const pooled = this.headNorm.forward(globalAvgPool(features));
    return preLogits ? pooled : this.fc.forward(pooled);
  }

  resetClassifier(): void {
    throw new Error('TinyConvNeXt: resetClassifier is not used in these tests');
  }
}
