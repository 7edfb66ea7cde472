/**
 * The inference engine of predict/eval/bench: the tfjs model on the chosen backend ('wasm', the default), or the
 * same model exported to ONNX and run by onnxruntime-node ('onnxruntime'); 'auto' picks onnxruntime when it is
 * installed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageClassifier } from '@nextnets/core-layers';
import { exportOnnx, OnnxClassifier, onnxRuntimeAvailable, type OnnxExportOptions } from '@nextnets/onnx/node';
import { Option } from 'commander';
import { CliError } from '../cli/errors.js';

export type EngineChoice = 'wasm' | 'onnxruntime' | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['wasm', 'onnxruntime', 'auto'];

/** `--engine` for predict/eval (no default here: the command decides, e.g. from the checkpoint's file type). */
export function engineOption(): Option {
  return new Option('--engine <engine>', 'inference engine: wasm (tfjs on --backend; the default), onnxruntime (onnxruntime-node), auto (onnxruntime when installed)').choices(
    ENGINE_CHOICES as string[],
  );
}

/** 'tfjs' or 'onnxruntime' for a choice; onnxruntime must load when asked for by name. */
export async function resolveEngine(choice: EngineChoice): Promise<'tfjs' | 'onnxruntime'> {
  if (choice === 'wasm') return 'tfjs';
  const available = await onnxRuntimeAvailable();
  if (choice === 'auto') return available ? 'onnxruntime' : 'tfjs';
  if (!available) throw new CliError('--engine onnxruntime needs the onnxruntime-node package (npm install onnxruntime-node), or use --engine wasm');
  return 'onnxruntime';
}

/** Loads an ONNX file or exported bytes as a session; failures are one-line CLI errors. */
export async function loadOnnx(source: string | Uint8Array, threads?: number): Promise<OnnxClassifier> {
  try {
    return await OnnxClassifier.load(source, { threads });
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
}

/** Exports `model` to ONNX in memory (see @nextnets/onnx) with one-line errors. */
export function exportOnnxBytes(model: ImageClassifier, options: OnnxExportOptions): Uint8Array {
  try {
    return exportOnnx(model, options);
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
}

/** Logits of an NHWC batch through an onnxruntime session, as a tfjs tensor. */
export async function onnxLogits(session: OnnxClassifier, images: tf.Tensor4D): Promise<tf.Tensor2D> {
  const out = await session.run(images.dataSync() as Float32Array, images.shape, 'NHWC');
  return tf.tensor2d(out.data, out.shape);
}

/**
 * An eval-mode `predict` through onnxruntime for a tfjs model: the model is exported at the size of the first batch
 * (the batch dimension of the export is dynamic). Call `dispose` when done.
 */
export function onnxPredictor(
  model: ImageClassifier,
  options: Omit<OnnxExportOptions, 'inputSize'>,
): { predict: (images: tf.Tensor4D) => Promise<tf.Tensor2D>; dispose: () => Promise<void> } {
  let session: Promise<OnnxClassifier> | undefined;
  return {
    predict: async (images) => {
      const [, h, w, c] = images.shape;
      session ??= loadOnnx(exportOnnxBytes(model, { ...options, inputSize: [c, h, w] }));
      const s = await session;
      const [sc, sh, sw] = s.inputSize;
      if (sc !== c || sh !== h || sw !== w) throw new CliError(`onnxruntime engine: batch of ${h}x${w}x${c} after one of ${sh}x${sw}x${sc}; all batches must share a size`);
      return onnxLogits(s, images);
    },
    dispose: async () => {
      if (session) await (await session).dispose();
    },
  };
}
