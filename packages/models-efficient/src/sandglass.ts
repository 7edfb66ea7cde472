import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, Sequential, dropPath, kaimingNormalFanOutInit, relu6 } from '@nextnets/core-layers';
import { makeDivisible } from '@nextnets/core-layers';
import { Activation } from './common.js';

/**
 * The four structural cases of MobileNeXt's `SGBlock` (MobileNeXt; official mnext.py):
 * - `first`: the t = 2 first block, a full sandglass with the stride on its last depthwise conv, no shortcut;
 * - `pointwise`: channel change at stride 1, just 1×1 reduce + 1×1 expand, no shortcut;
 * - `pointwise-down`: channel change at stride 2, 1×1 reduce + 1×1 expand + depthwise s2, no shortcut;
 * - `sandglass`: dw → 1×1 reduce → 1×1 expand → dw, with the identity shortcut unless the stage keeps its 3×3 convs.
 */
export type SandglassCase = 'first' | 'pointwise' | 'pointwise-down' | 'sandglass';

export interface SandglassBlockOptions {
  inChannels: number;
  outChannels: number;
  stride: number;
  /** Reduction ratio t of the stage (hidden = in // t); t = 2 marks the first block. */
  reduction: number;
  /** A one-block stride-1 stage (`n == 1 and s == 1`): sandglass form without shortcut. */
  keep3x3?: boolean;
  /** Identity tensor multiplier: the shortcut feeds only the first C // identityDiv channels (official default 1). */
  identityDiv?: number;
  /** Stochastic depth on the residual branch (not in the official model; 0 keeps it exact). */
  dropPathRate?: number;
}

/** `hid = inp // t`, raised to `make_divisible(ceil(oup/6), 16)` when below oup/6 (MobileNeXt; official mnext.py). */
export function sandglassHiddenChannels(inChannels: number, outChannels: number, reduction: number): number {
  const hidden = Math.floor(inChannels / reduction);
  return hidden < outChannels / 6 ? makeDivisible(Math.ceil(outChannels / 6), 16) : hidden;
}

/** Which of the four cases the official code builds for these arguments. */
export function sandglassCase(inChannels: number, outChannels: number, stride: number, reduction: number, keep3x3: boolean): SandglassCase {
  if (reduction === 2) return 'first';
  if (inChannels !== outChannels && stride === 1 && !keep3x3) return 'pointwise';
  if (inChannels !== outChannels && stride === 2 && !keep3x3) return 'pointwise-down';
  return 'sandglass';
}

// Official init (MobileNeXt; official mnext.py): conv N(0, 2/(k·k·out)) — no group correction for depthwise — and no conv biases.
const conv1x1 = (inChannels: number, outChannels: number): Conv2d =>
  new Conv2d({ inChannels, outChannels, kernelSize: 1, bias: false, weightInit: kaimingNormalFanOutInit });
const depthwise3x3 = (channels: number, stride: number): Conv2d =>
  new Conv2d({
    inChannels: channels,
    outChannels: channels,
    kernelSize: 3,
    stride,
    padding: 1,
    groups: channels,
    bias: false,
    weightInit: kaimingNormalFanOutInit,
  });

/**
 * MobileNeXt's sandglass block (`SGBlock`). Its layers live in `conv`, a Sequential whose indices match the official
 * state_dict (`features.{k}.conv.{idx}.*`, ReLU6 modules included so that the indices line up).
 */
export class SandglassBlock extends Module {
  readonly kind: SandglassCase;
  readonly hiddenChannels: number;
  readonly useIdentity: boolean;
  readonly identityChannels: number;
  readonly dropPathRate: number;
  readonly conv: Sequential;

  constructor(opts: SandglassBlockOptions) {
    super();
    const { inChannels: inp, outChannels: oup, stride, reduction } = opts;
    const keep3x3 = opts.keep3x3 ?? false;
    const identityDiv = opts.identityDiv ?? 1;
    if (!Number.isInteger(identityDiv) || identityDiv < 1) throw new Error(`SandglassBlock: identityDiv must be an integer >= 1, got ${identityDiv}`);
    if (stride !== 1 && stride !== 2) throw new Error(`SandglassBlock: stride must be 1 or 2, got ${stride}`);
    this.kind = sandglassCase(inp, oup, stride, reduction, keep3x3);
    this.hiddenChannels = sandglassHiddenChannels(inp, oup, reduction);
    const hid = this.hiddenChannels;
    // The official code only reaches a shortcut with inp == oup; a strided sandglass would not fit one.
    this.useIdentity = this.kind === 'sandglass' && !keep3x3 && inp === oup && stride === 1;
    this.identityChannels = Math.floor(inp / identityDiv);
    this.dropPathRate = opts.dropPathRate ?? 0;
    const act = (): Activation => new Activation(relu6);
    let layers: Module[];
    switch (this.kind) {
      case 'pointwise':
        layers = [conv1x1(inp, hid), new BatchNorm2d(hid), conv1x1(hid, oup), new BatchNorm2d(oup), act()];
        break;
      case 'pointwise-down':
        layers = [
          conv1x1(inp, hid),
          new BatchNorm2d(hid),
          conv1x1(hid, oup),
          new BatchNorm2d(oup),
          act(),
          depthwise3x3(oup, stride),
          new BatchNorm2d(oup),
        ];
        break;
      default:
        // 'first' and 'sandglass': dw+BN+ReLU6 → 1×1 reduce+BN (linear) → 1×1 expand+BN+ReLU6 → dw (stride here)+BN (linear).
        layers = [
          depthwise3x3(inp, 1),
          new BatchNorm2d(inp),
          act(),
          conv1x1(inp, hid),
          new BatchNorm2d(hid),
          conv1x1(hid, oup),
          new BatchNorm2d(oup),
          act(),
          depthwise3x3(oup, stride),
          new BatchNorm2d(oup),
        ];
    }
    this.conv = this.addModule('conv', new Sequential(layers));
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.useIdentity) return this.conv.forward(x);
    return tf.tidy(() => {
      const branch = dropPath(this.conv.forward(x), this.dropPathRate, this.training);
      const c = x.shape[3] as number;
      const k = this.identityChannels;
      if (k === c) return tf.add(branch, x);
      if (k === 0) return branch;
      // Identity tensor multiplier: add the input to the first C // identity_div output channels only.
      const [head, tail] = tf.split(branch, [k, c - k], 3);
      const shortcut = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, k]);
      return tf.concat([tf.add(head, shortcut), tail], 3);
    });
  }
}
