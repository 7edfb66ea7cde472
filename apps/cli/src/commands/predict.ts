import * as tf from '@tensorflow/tfjs-core';
import { writeNpy } from '@nextnets/core-layers/node';
import { Command, Option } from 'commander';
import { activateBackend, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { parseInteger, parseModelArgs } from '../cli/parse.js';
import { buildModel, modelChannels } from '../model/build.js';
import { checkpointNumClasses, loadCheckpointInto, locateCheckpoint, readWeights } from '../model/checkpoint-files.js';
import { inferenceSettings } from '../model/inference-config.js';
import { evalTransform } from '../train/data.js';
import { readPredictInput } from './predict-inputs.js';

interface PredictOptions extends CommonOptions {
  model?: string;
  modelArgs?: string;
  checkpoint: string;
  input: string;
  output?: string;
  layout: 'nchw' | 'nhwc';
  topK: number;
  batchSize: number;
  inputSize?: number;
  ema: boolean;
}

/** Logits of `images` in eval mode, batch by batch. */
function predictLogits(model: ReturnType<typeof buildModel>, images: tf.Tensor4D, batchSize: number): tf.Tensor2D {
  model.eval();
  const n = images.shape[0];
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    parts.push(tf.tidy(() => model.forward(tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1])) as tf.Tensor2D));
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

export function predictCommand(): Command {
  return withCommonOptions(new Command('predict').description('classify images or an .npy batch with a checkpoint'))
    .option('--model <name>', 'registered model name (default: the run\'s model)')
    .option('--model-args <json>', 'model overrides as JSON')
    .requiredOption('--checkpoint <path>', 'timm-key .safetensors (e.g. timm\'s model.safetensors) or a run checkpoint folder')
    .requiredOption('--input <path>', 'an image, a folder of images, or a .npy float32 batch')
    .option('--output <file.npy>', 'write the logits [N, classes] as float32 .npy')
    .addOption(new Option('--layout <layout>', 'layout of a .npy input').choices(['nchw', 'nhwc']).default('nchw'))
    .option('--top-k <k>', 'labels to print per input', parseInteger('--top-k', 1), 5)
    .option('--batch-size <n>', 'inference batch size', parseInteger('--batch-size', 1), 32)
    .option('--input-size <n>', 'image size for image inputs', parseInteger('--input-size', 8))
    .option('--no-ema', 'use the raw weights even when the checkpoint folder has ema.safetensors')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets predict --checkpoint runs/fashion_mnist_quick/best --input shoe.png',
        '  nextnets predict --model convnextv2_atto --checkpoint model.safetensors --input batch.npy --output logits.npy',
      ].join('\n'),
    )
    .action(async (opts: PredictOptions) => {
      const files = locateCheckpoint(opts.checkpoint);
      const settings = inferenceSettings(files, opts.model, parseModelArgs(opts.modelArgs), opts.inputSize);
      await activateBackend(opts.backend);
      const weightsPath = opts.ema && files.ema ? files.ema : files.weights;
      const tensors = readWeights(weightsPath);
      const numClasses = (settings.modelArgs.numClasses as number | undefined) ?? checkpointNumClasses(tensors);
      const args = numClasses === undefined ? settings.modelArgs : { ...settings.modelArgs, numClasses };
      const model = buildModel(settings.modelName, args);
      loadCheckpointInto(model, tensors, weightsPath);
      const channels = modelChannels(args);
      const input = await readPredictInput(opts.input, { layout: opts.layout, channels, transform: () => evalTransform(settings.recipe, channels) });
      let logits: tf.Tensor2D;
      try {
        logits = predictLogits(model, input.images, opts.batchSize);
      } catch (error) {
        throw new CliError(`forward pass failed on input of shape [${input.images.shape.join(',')}] (NHWC): ${(error as Error).message.split('\n')[0]}`);
      } finally {
        input.images.dispose();
      }
      const [n, k] = logits.shape;
      const values = logits.dataSync() as Float32Array;
      if (opts.output) writeNpy(opts.output, { shape: [n, k], data: Float32Array.from(values) });
      const probs = tf.tidy(() => tf.softmax(logits)).dataSync();
      logits.dispose();
      const labels = files.classes;
      for (let i = 0; i < n; i++) {
        const row = Array.from(probs.subarray(i * k, (i + 1) * k));
        const top = row.map((p, c) => [p, c] as const).sort((a, b) => b[0] - a[0]).slice(0, opts.topK);
        const text = top.map(([p, c]) => `${labels?.[c] ?? c} ${(100 * p).toFixed(1)}%`).join(', ');
        process.stdout.write(`${input.names[i]}: ${text}\n`);
      }
      if (opts.output) process.stderr.write(`wrote logits [${n}, ${k}] to ${opts.output}\n`);
    });
}
