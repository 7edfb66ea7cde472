import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  LayerNorm2d,
  Module,
  Sequential,
  constantInit,
  dropPath,
  gelu,
  kaimingNormalFanOutInit,
  relu,
  zerosInit,
  type ActivationFn,
} from '@nextnets/core-layers';
import type { RoadmapConfig } from './config.js';

/** timm ResNet `init_weights`: every conv kaiming_normal(fan_out, relu); conv biases (where a step has them) zero. */
export const resNetConvInit = { weightInit: kaimingNormalFanOutInit, biasInit: zerosInit } as const;

/** BatchNorm (PyTorch eps 1e-5) or channels LayerNorm (timm LayerNorm2d, eps 1e-6), as the step says. */
export function roadmapNorm(config: RoadmapConfig, channels: number, zeroInit = false): Module {
  if (config.norm === 'layer') return new LayerNorm2d(channels);
  return new BatchNorm2d(channels, zeroInit ? { weightInit: zerosInit } : {});
}

export function roadmapAct(config: RoadmapConfig): ActivationFn {
  return config.act === 'gelu' ? gelu : relu;
}

/**
 * The residual block of the ResNet-layout steps (timm `Bottleneck` keys): three convs `conv1`–`conv3`, each
 * followed by its norm `bnK` where the step keeps one (`bnK` names the norm after `convK`, BatchNorm or LayerNorm),
 * a `downsample` shortcut (1×1 strided conv `.0` + norm `.1`) in the first block of a stage, and `gamma` (layer
 * scale) from the step that drops the last norm on.
 *
 * Conv order: 1×1 → k×k (stride, groups) → 1×1 (ResNet, ResNeXt, inverted bottleneck), or, with `dwFirst`,
 * k×k depthwise (stride) → 1×1 → 1×1. The hidden width is `midRatio`·out.
 */
export class RoadmapBlock extends Module {
  readonly convs: Conv2d[] = [];
  /** The norm after each conv, or null. */
  readonly norms: (Module | null)[] = [];
  /** Activation after each conv (after its norm). */
  readonly actAfter: boolean[];
  readonly actAfterAdd: boolean;
  readonly downsample: Sequential | null;
  readonly gamma: tf.Variable | null;
  private readonly act: ActivationFn;

  constructor(
    config: RoadmapConfig,
    inChs: number,
    outChs: number,
    stride: number,
    private readonly dropPathRate: number,
  ) {
    super();
    const mid = outChs * config.midRatio;
    const k = config.kernelSize;
    // [in, out, kernel, stride, groups] of conv1..conv3.
    type Spec = [number, number, number, number, number];
    const specs: Spec[] = config.dwFirst
      ? [[inChs, inChs, k, stride, inChs], [inChs, mid, 1, 1, 1], [mid, outChs, 1, 1, 1]]
      : [[inChs, mid, 1, 1, 1], [mid, mid, k, stride, config.depthwise ? mid : 1], [mid, outChs, 1, 1, 1]];
    const hasNorm = config.fewerNorms ? [true, false, false] : [true, true, true];
    this.actAfter = config.fewerActivations ? [false, true, false] : [true, true, false];
    this.actAfterAdd = !config.fewerActivations;
    this.act = roadmapAct(config);
    specs.forEach(([i, o, kernel, s, groups], idx) => {
      const conv = new Conv2d({
        inChannels: i,
        outChannels: o,
        kernelSize: kernel,
        stride: s,
        padding: Math.floor(kernel / 2),
        groups,
        // A bias unless a BatchNorm follows (a LayerNorm over channels does not absorb a per-channel bias).
        bias: !hasNorm[idx] || config.norm === 'layer',
        ...resNetConvInit,
      });
      this.convs.push(this.addModule(`conv${idx + 1}`, conv));
      // The last norm starts at zero when it is a BatchNorm (timm `zero_init_last`); steps without it use layer scale.
      this.norms.push(hasNorm[idx] ? this.addModule(`bn${idx + 1}`, roadmapNorm(config, o, idx === 2)) : null);
    });
    this.downsample =
      stride !== 1 || inChs !== outChs
        ? this.addModule(
            'downsample',
            new Sequential([
              new Conv2d({
                inChannels: inChs,
                outChannels: outChs,
                kernelSize: 1,
                stride,
                bias: config.norm === 'layer',
                ...resNetConvInit,
              }),
              roadmapNorm(config, outChs),
            ]),
          )
        : null;
    this.gamma = config.lsInitValue === null ? null : this.addParameter('gamma', [outChs], constantInit(config.lsInitValue));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = x;
      this.convs.forEach((conv, i) => {
        y = conv.forward(y);
        const norm = this.norms[i];
        if (norm) y = norm.forward(y);
        if (this.actAfter[i]) y = this.act(y);
      });
      if (this.gamma) y = tf.mul(y, this.gamma);
      y = dropPath(y, this.dropPathRate, this.training);
      const shortcut = this.downsample ? this.downsample.forward(x) : x;
      const out = tf.add(y, shortcut);
      return this.actAfterAdd ? this.act(out) : out;
    });
  }
}

/** PyTorch `MaxPool2d(3, stride 2, padding 1)`: the padding never wins the max (it is −∞), as in PyTorch. */
export function maxPool3x3s2(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const padded = tf.pad(x as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]], -Infinity);
    return tf.maxPool(padded, 3, 2, 'valid');
  });
}
