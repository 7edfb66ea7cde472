/** Shared pieces of the backend benches: a registered model (ConvNeXt, EfficientNet or RepVGG family) with a fixed batch, and the median. */
import * as tf from '@tensorflow/tfjs-core';
// Relative source imports: a workspace devDependency on the model packages would make a dependency cycle.
import type { ImageClassifier } from '../../core-layers/src/index';
import { createModel } from '../../models-convnext/src/index';
// Registers the EfficientNetV2 / MobileNeXt names in the same registry (side effect).
import '../../models-efficient/src/index';
// and the RepVGG / RepLKNet names
import '../../models-rep/src/index';

export interface BenchFixture {
  model: ImageClassifier;
  /** Random NHWC input (seeded), [batch, size, size, 3]. */
  x: tf.Tensor4D;
  /** Labels 0..9 cycling, int32 [batch]. */
  labels: tf.Tensor1D;
  params: Array<{ name: string; variable: tf.Variable }>;
}

/** `modelName` with 10 classes, a seeded random batch and its named parameters (for the optimizers). */
export function benchFixture(modelName: string, batch: number, size: number): BenchFixture {
  const model = createModel(modelName, { numClasses: 10 }) as ImageClassifier;
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  );
  const params = model.namedParameters().map(([name, p]) => ({ name, variable: p.variable }));
  return { model, x, labels, params };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Options of the paired A/B benches (adamw-ab.ts, im2col-ab.ts). */
export interface PairedOptions {
  model: string;
  size: number;
  batch: number;
  pairs: number;
  warmup: number;
}

/** `--model M --size N --batch N --pairs N --warmup N` over `defaults`; an unknown flag or a missing value throws. */
export function parsePairedArgs(argv: string[], defaults: PairedOptions): PairedOptions {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value after ${flag}`);
    if (flag === '--model') opts.model = value;
    else if (flag === '--size' || flag === '--batch' || flag === '--pairs' || flag === '--warmup') {
      opts[flag.slice(2) as 'size' | 'batch' | 'pairs' | 'warmup'] = Number(value);
    } else throw new Error(`unknown flag ${flag}`);
  }
  return opts;
}
