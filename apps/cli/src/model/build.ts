import { totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, getModelEntry, withShapeOnlyInit, type ImageClassifier } from '@nextnets/core-layers';
import { CliError } from '../cli/errors.js';
import '../models.js';

/**
 * Builds a registered model with overrides; unknown names/keys become one-line CLI errors. Overrides other than
 * `numClasses`/`inChans` are first sized by a shape-only build, and refused when the weights would not fit in memory.
 */
export function buildModel(name: string, args: Record<string, unknown> = {}): ImageClassifier {
  if (Object.keys(args).some((key) => key !== 'numClasses' && key !== 'inChans')) {
    getModelEntryOrFail(name);
    checkModelFits(name, args);
  }
  return buildModelUnchecked(name, args);
}

function getModelEntryOrFail(name: string): void {
  try {
    getModelEntry(name);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

function buildModelUnchecked(name: string, args: Record<string, unknown>): ImageClassifier {
  try {
    getModelEntry(name);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  try {
    return createModel(name, args);
  } catch (error) {
    throw new CliError(`cannot build ${name} with ${JSON.stringify(args)}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Input channels of a model: the `inChans` override, else 3. */
export function modelChannels(args: Record<string, unknown>): number {
  const inChans = args.inChans;
  if (inChans === undefined) return 3;
  if (typeof inChans !== 'number' || !Number.isInteger(inChans) || inChans < 1) {
    throw new CliError(`model arg inChans must be a positive integer, got ${JSON.stringify(inChans)}`);
  }
  return inChans;
}

/** Names of a model's classifier parameters: those that `resetClassifier` replaces (re-initialising them). */
export function resetClassifierParams(model: ImageClassifier): string[] {
  const before = new Map(model.namedParameters());
  model.resetClassifier(model.numClasses);
  return model.namedParameters().filter(([name, p]) => before.get(name) !== p).map(([name]) => name);
}

/** The parameter name of the classifier's weight of a model built with these overrides (no weights are drawn). */
export function classifierWeightName(name: string, args: Record<string, unknown>): string | undefined {
  return withShapeOnlyInit(() => {
    const model = buildModelUnchecked(name, args);
    try {
      return resetClassifierParams(model).filter((n) => n.endsWith('weight')).pop();
    } finally {
      model.dispose();
    }
  });
}

/** Bytes per float32 parameter: the weights alone. */
export const WEIGHT_BYTES_PER_PARAM = 4;
/** Bytes per parameter while training with AdamW: the weight, its gradient and two moment estimates (float32). */
export const TRAIN_BYTES_PER_PARAM = 16;

/** The wasm backend's heap is a 32-bit WebAssembly memory: at most 4 GiB, whatever the machine has. */
const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/**
 * The memory the size checks compare against: this machine's total RAM (override with NEXTNETS_MEMORY_BYTES); with
 * `tensorHeap`, at most 4 GiB on the wasm backend, where activations live.
 */
export function machineMemoryBytes(tensorHeap = false): number {
  const env = Number(process.env.NEXTNETS_MEMORY_BYTES);
  if (Number.isFinite(env) && env > 0) return env;
  return tensorHeap && tf.getBackend() === 'wasm' ? Math.min(totalmem(), WASM_HEAP_BYTES) : totalmem();
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/**
 * Parameter count of a model built with these overrides, without allocating its weights (shape-only build). Array
 * overrides with more than `MAX_BLOCKS` blocks in total (`depths: [100000, ...]`) are refused before building, since
 * even a shape-only build walks every block.
 */
export function estimateParams(name: string, args: Record<string, unknown> = {}): number {
  const depths = args.depths ?? args.layers;
  if (Array.isArray(depths) && depths.every((d) => typeof d === 'number')) {
    const blocks = (depths as number[]).reduce((s, d) => s + d, 0);
    if (blocks > MAX_BLOCKS) throw new CliError(`${name}: depths ${JSON.stringify(depths)} make ${blocks} blocks, over the limit of ${MAX_BLOCKS}`);
  }
  return withShapeOnlyInit(() => {
    const model = buildModelUnchecked(name, args);
    try {
      return model.numParams();
    } finally {
      model.dispose();
    }
  });
}

const MAX_BLOCKS = 10_000;

/**
 * Refuses overrides whose parameters would not fit in the machine's memory, before any weight is allocated:
 * `bytesPerParam` 4 counts the weights alone (what `buildModel` checks), 16 the training state with AdamW (weights,
 * gradients, two moments). Returns the parameter count.
 */
export function checkModelFits(name: string, args: Record<string, unknown> = {}, bytesPerParam = WEIGHT_BYTES_PER_PARAM): number {
  const params = estimateParams(name, args);
  const need = params * bytesPerParam;
  const have = machineMemoryBytes();
  if (need > have) {
    const what = bytesPerParam >= TRAIN_BYTES_PER_PARAM ? 'to train' : 'of weights';
    throw new CliError(
      `${name} with ${JSON.stringify(args)} has ${params.toLocaleString('en-US')} parameters: about ${gib(need)} ${what}, more than this machine's ${gib(have)}`,
    );
  }
  return params;
}

/** The side of the probe input and the feature map the model makes of it. */
function featureSide(model: ImageClassifier, channels: number, side: number): number {
  return tf.tidy(() => model.forwardFeatures(tf.zeros([1, side, side, channels])).shape[1] ?? 0);
}

const strideCache = new WeakMap<ImageClassifier, number>();

/**
 * The network's total stride (input side / feature-map side: 32 for the stock families, more with a larger ConvNeXt
 * `patchSize`), measured by one batch-1 eval-mode forward of the features on a probe large enough to leave a
 * feature map of at least 2x2. Inputs smaller than it shrink to a single pixel (or none) and give constant outputs.
 */
export function networkStride(model: ImageClassifier, channels: number): number {
  const cached = strideCache.get(model);
  if (cached !== undefined) return cached;
  const wasTraining = model.training;
  model.eval();
  try {
    for (let side = 64; side <= 4096; side *= 2) {
      const features = featureSide(model, channels, side);
      if (features >= 2) {
        const stride = Math.round(side / features);
        strideCache.set(model, stride);
        return stride;
      }
    }
    throw new CliError('the model reduces even a 4096x4096 input to a single pixel; check its overrides (patchSize, strides)');
  } finally {
    model.train(wasTraining);
  }
}

/** Refuses inputs smaller than the network's total stride with a one-line error naming the minimum size. */
export function checkInputSize(model: ImageClassifier, name: string, channels: number, height: number, width = height, what = 'input'): void {
  const stride = networkStride(model, channels);
  if (height < stride || width < stride) {
    throw new CliError(`${what} is ${height}x${width} but ${name} needs at least ${stride}x${stride} (its total stride)`);
  }
}

/**
 * Estimated bytes of the activations a training step keeps for `batch` images of `size`²: the peak of one batch-1
 * forward at a 64px probe (every intermediate held, as the gradient tape holds them), scaled by pixels and batch.
 */
export function estimateActivationBytes(model: ImageClassifier, channels: number, size: number, batch: number): number {
  const probe = Math.max(64, networkStride(model, channels));
  let peak = 0;
  const wasTraining = model.training;
  model.eval();
  try {
    const before = tf.memory().numBytes;
    tf.tidy(() => {
      model.forward(tf.zeros([1, probe, probe, channels]));
      peak = tf.memory().numBytes - before;
    });
  } finally {
    model.train(wasTraining);
  }
  return peak * batch * (size / probe) ** 2;
}

/** Refuses a (size, batch) whose estimated activation memory exceeds the machine's memory. */
export function checkActivationsFit(model: ImageClassifier, name: string, channels: number, size: number, batch: number): void {
  const need = estimateActivationBytes(model, channels, size, batch);
  const have = machineMemoryBytes(true);
  if (need > have) {
    throw new CliError(`${name} at ${size}x${size}, batch ${batch} needs about ${gib(need)} of activations, more than this machine's ${gib(have)}`);
  }
}
