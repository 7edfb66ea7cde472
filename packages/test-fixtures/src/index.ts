/**
 * The in-repo reference fixtures: one tiny configuration of every family, with PyTorch's eval-mode logits and
 * features and the training-mode cross-entropy gradients of every parameter (see `small/README.md`), plus the
 * checks the model packages run against them. The large timm fixtures stay outside the repository: they are an
 * optional extra suite, enabled by `NEXTNETS_EXTRA_FIXTURES=<dir>`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '@nextnets/backend';
import {
  createModel,
  toTorchLayout,
  valueAndGrads,
  type ImageClassifier,
} from '@nextnets/core-layers';
import { loadSafetensors, readNpy, readSafetensors } from '@nextnets/core-layers/node';

const SMALL_DIR = fileURLToPath(new URL('../small', import.meta.url));

/** The tiny configurations in `small/`, by folder name. */
export const SMALL_FIXTURES = [
  'convnext_tiny_cfg',
  'convnextv2_tiny_cfg',
  'inception_next_tiny_cfg',
  'repvgg_tiny_cfg',
  'replknet_tiny_cfg',
  'mobilenext_tiny_cfg',
  'efficientnetv2_tiny_cfg',
  'resnet_tiny_cfg',
] as const;
export type SmallFixture = (typeof SMALL_FIXTURES)[number];

export interface FixtureManifest {
  /** Registry name of the model. */
  model: string;
  /** The overrides `createModel` takes (resnet: timm's constructor, as text). */
  model_args: Record<string, unknown>;
  input_shape: number[];
  /** Mean cross-entropy of the training-mode forward. */
  train_loss: number;
  params: number;
}

/** Absolute path of a file of a small fixture. */
export function smallFixturePath(fixture: SmallFixture, file: string): string {
  return join(SMALL_DIR, fixture, file);
}

export function smallManifest(fixture: SmallFixture): FixtureManifest {
  return JSON.parse(readFileSync(smallFixturePath(fixture, 'manifest.json'), 'utf8')) as FixtureManifest;
}

const skipNoted = new Set<string>();

/**
 * The folder of the large timm fixtures when `NEXTNETS_EXTRA_FIXTURES` names one (relative paths resolve against the
 * working directory), else undefined after printing one line saying which suite is skipped.
 */
export function extraFixturesDir(suite: string): string | undefined {
  const value = process.env.NEXTNETS_EXTRA_FIXTURES;
  const dir = value ? (isAbsolute(value) ? value : resolve(value)) : undefined;
  if (dir && existsSync(dir)) return dir;
  if (!skipNoted.has(suite)) {
    skipNoted.add(suite);
    const why = dir ? `${dir} does not exist` : 'set NEXTNETS_EXTRA_FIXTURES=<dir of the large timm fixtures> to run it';
    console.log(`extra fixture suite '${suite}' skipped: ${why}`);
  }
  return undefined;
}

/** A float32 `.npy` file as a tensor, in its stored (NCHW) layout. */
export function npyTensor(path: string): tf.Tensor {
  const array = readNpy(path);
  return tf.tensor(array.data as Float32Array, [...array.shape]);
}

/** max|a − b| / max|b| of two arrays of the same length. */
export function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relMaxDiff: ${a.length} values against ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** max|a − b| / max|b| of two tensors. */
export function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);
}

/** Mean softmax cross-entropy of logits [N, K] against integer labels (PyTorch's `F.cross_entropy`). */
function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits as tf.Tensor2D);
    const oneHot = tf.oneHot(labels, logits.shape[1] as number);
    return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, oneHot), -1))) as tf.Scalar;
  });
}

export interface ForwardParity {
  /** Relative max error of the eval-mode logits. */
  logits: number;
  /** Relative max error of the eval-mode `forwardFeatures` output. */
  features: number;
}

/** Eval-mode logits and features of `model` (weights already loaded) against the fixture's PyTorch outputs. */
export function forwardParity(model: ImageClassifier, fixture: SmallFixture): ForwardParity {
  model.eval();
  return tf.tidy(() => {
    const input = tf.transpose(npyTensor(smallFixturePath(fixture, 'input.npy')), [0, 2, 3, 1]);
    const features = model.forwardFeatures(input);
    const logits = model.forwardHead(features);
    const refFeatures = tf.transpose(npyTensor(smallFixturePath(fixture, 'features.npy')), [0, 2, 3, 1]);
    return {
      logits: relErr(logits, npyTensor(smallFixturePath(fixture, 'logits.npy'))),
      features: relErr(features, refFeatures),
    };
  });
}

export interface GradientParity {
  /** The training-mode loss. */
  loss: number;
  /** The reference loss PyTorch computed. */
  referenceLoss: number;
  /** Per parameter: max|g − ref| / max(max|ref|, 1e-3 · the model's largest reference gradient). */
  errors: Map<string, number>;
  /** Parameters with a reference gradient but none here, and the reverse. */
  missing: string[];
  unexpected: string[];
}

/**
 * Training-mode (batch-statistics BatchNorm) mean cross-entropy gradients of every parameter against the fixture's.
 * The scale-aware normalisation keeps biases that feed a normalisation layer (true gradient 0, reference values
 * rounding noise) from dominating. The model is left in train mode.
 */
export function gradientParity(model: ImageClassifier, fixture: SmallFixture): GradientParity {
  const reference = readSafetensors(smallFixturePath(fixture, 'grads.safetensors')).tensors;
  model.train();
  const input = tf.tidy(() => tf.transpose(npyTensor(smallFixturePath(fixture, 'input.npy')), [0, 2, 3, 1]));
  const labelsArray = readNpy(smallFixturePath(fixture, 'labels.npy'));
  const labels = tf.tensor1d(Int32Array.from(labelsArray.data as ArrayLike<number>), 'int32');
  const { value, grads } = valueAndGrads(model, () => crossEntropy(model.forward(input), labels));
  const layouts = new Map(model.namedParameters().map(([name, p]) => [name, p.layout]));
  let largest = 0;
  for (const t of reference.values()) for (const v of t.data as Float32Array) largest = Math.max(largest, Math.abs(v));
  const errors = new Map<string, number>();
  for (const [name, grad] of Object.entries(grads)) {
    const ref = reference.get(name);
    if (!ref) continue;
    const ours = tf.tidy(() => toTorchLayout(grad, layouts.get(name)!).dataSync() as Float32Array);
    const refData = ref.data as Float32Array;
    if (ours.length !== refData.length) throw new Error(`${fixture}: gradient '${name}' has ${ours.length} values, reference ${refData.length}`);
    let diff = 0;
    let scale = 1e-3 * largest;
    for (let i = 0; i < ours.length; i++) {
      diff = Math.max(diff, Math.abs(ours[i] - refData[i]));
      scale = Math.max(scale, Math.abs(refData[i]));
    }
    errors.set(name, diff / scale);
  }
  const result: GradientParity = {
    loss: value.dataSync()[0],
    referenceLoss: smallManifest(fixture).train_loss,
    errors,
    missing: [...reference.keys()].filter((k) => !(k in grads)),
    unexpected: Object.keys(grads).filter((k) => !reference.has(k)),
  };
  tf.dispose([value, input, labels, ...Object.values(grads)]);
  return result;
}

/**
 * Fixtures whose manifest names timm's constructor (as text) instead of our overrides: the text it holds and the
 * registry overrides that build the same network. resnet_tiny_cfg: timm's `channels` are the bottleneck (inner)
 * widths, the roadmap's `dims` the block outputs (×4, timm `Bottleneck.expansion`); timm's `stem_width` only sizes
 * its deep stems, the plain 7×7 stem always has 64 channels (the fixture's `conv1.weight` is [64, 3, 7, 7]).
 */
const TIMM_CONSTRUCTOR_OVERRIDES: Partial<Record<SmallFixture, { timm: string; overrides: Record<string, unknown> }>> = {
  resnet_tiny_cfg: {
    timm: 'ResNet(block=Bottleneck, layers=(1,1,1,1), channels=(16,32,64,128), stem_width=16, num_classes=4)',
    overrides: { depths: [1, 1, 1, 1], dims: [64, 128, 256, 512], stemWidth: 64, numClasses: 4 },
  },
};

/** The overrides `createModel` takes for a fixture: its `model_args`, or the translation of its timm constructor. */
export function fixtureOverrides(fixture: SmallFixture): Record<string, unknown> {
  const { model_args: args } = smallManifest(fixture);
  if (!('timm_constructor' in args)) return args;
  const mapped = TIMM_CONSTRUCTOR_OVERRIDES[fixture];
  if (!mapped || mapped.timm !== args.timm_constructor) {
    throw new Error(`${fixture}/manifest.json: no override translation for timm constructor '${String(args.timm_constructor)}'`);
  }
  return mapped.overrides;
}

/** Builds the fixture's model from the registry with its overrides and loads its weights (strict). */
export function createFixtureModel(fixture: SmallFixture): ImageClassifier {
  const { model: name } = smallManifest(fixture);
  const args = fixtureOverrides(fixture);
  // The references ran with dropout and drop path off (some variants default to dropout 0.2, as in their papers).
  const model = createModel(name, { ...args, dropRate: 0, dropPathRate: 0 });
  try {
    loadSafetensors(model, smallFixturePath(fixture, 'weights.safetensors'), { strict: true });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/**
 * Fixtures whose gradient reference cannot be reproduced, and why. The official MobileNeXt hard-codes
 * `nn.Dropout(0.2)` before its classifier, and the reference backward ran with it active: its `classifier.1.weight`
 * gradient has exactly two all-zero columns of 1280, what a 0.2 dropout mask over 4 images gives (1280 · 0.2⁴ ≈ 2),
 * while the pooled features feeding it are never zero. Its forward is still checked; its gradients are covered by
 * the finite-difference checks of models-efficient.
 */
export const UNUSABLE_GRADIENT_REFERENCES: Partial<Record<SmallFixture, string>> = {
  mobilenext_tiny_cfg: 'the reference backward ran with the official classifier dropout (p 0.2) active',
};

/** Tolerances of the parity suite: relative max error of outputs, scale-aware error of gradients, relative loss. */
export const PARITY_TOLERANCE = { forward: 1e-4, gradient: 2e-3, loss: 1e-5 } as const;

/**
 * The forward + backward parity tests of the given fixtures on the wasm backend (the product default): parameter
 * count, eval-mode logits and features, training-mode loss and the gradient of every parameter, with no tensor left
 * behind by the training step. The calling test file imports the model package so its models are registered.
 */
export function fixtureParitySuite(fixtures: readonly SmallFixture[]): void {
  beforeAll(async () => {
    await setupBackend('wasm');
  });
  describe.each(fixtures)('%s matches the reference implementation', (fixture) => {
    it('forward: parameter count, eval-mode logits and features', () => {
      const model = createFixtureModel(fixture);
      try {
        expect(model.numParams()).toBe(smallManifest(fixture).params);
        const err = forwardParity(model, fixture);
        expect(err.logits).toBeLessThanOrEqual(PARITY_TOLERANCE.forward);
        expect(err.features).toBeLessThanOrEqual(PARITY_TOLERANCE.forward);
      } finally {
        model.dispose();
      }
    });

    const unusable = UNUSABLE_GRADIENT_REFERENCES[fixture];
    if (unusable) console.log(`${fixture}: gradient parity skipped: ${unusable}`);
    it.skipIf(unusable !== undefined)('backward: training-mode loss and the gradient of every parameter', () => {
      const model = createFixtureModel(fixture);
      try {
        const before = tf.memory().numTensors;
        const result = gradientParity(model, fixture);
        expect(tf.memory().numTensors).toBe(before);
        expect(result.missing).toEqual([]);
        expect(result.unexpected).toEqual([]);
        expect(result.errors.size).toBe(model.namedParameters().length);
        expect(Math.abs(result.loss - result.referenceLoss) / result.referenceLoss).toBeLessThanOrEqual(PARITY_TOLERANCE.loss);
        const worst = [...result.errors].reduce((a, b) => (b[1] > a[1] ? b : a));
        expect(worst[1], `worst gradient '${worst[0]}'`).toBeLessThanOrEqual(PARITY_TOLERANCE.gradient);
      } finally {
        model.dispose();
      }
    });
  });
}
