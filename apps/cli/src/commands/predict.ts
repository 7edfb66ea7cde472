import * as tf from '@tensorflow/tfjs-core';
import { writeNpy } from '@nextnets/core-layers';
import { Command, Option } from 'commander';
import { activateBackend, checkOutputFile, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { parseInteger, parseModelArgs } from '../cli/parse.js';
import { buildModel, checkInputSize, modelChannels } from '../model/build.js';
import { argsForCheckpoint, loadCheckpointInto, locateCheckpoint, readCheckpoint } from '../model/checkpoint-files.js';
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
      if (opts.output) checkOutputFile(opts.output, '--output');
      const files = locateCheckpoint(opts.checkpoint);
      const weightsPath = opts.ema && files.ema ? files.ema : files.weights;
      const { tensors, metadata } = readCheckpoint(weightsPath);
      const settings = inferenceSettings(files, opts.model, parseModelArgs(opts.modelArgs), opts.inputSize, metadata);
      await activateBackend(opts.backend);
      const args = argsForCheckpoint(settings.modelName, settings.modelArgs, tensors);
      const model = buildModel(settings.modelName, args);
      loadCheckpointInto(model, tensors, weightsPath);
      const channels = modelChannels(args);
      const input = await readPredictInput(opts.input, { layout: opts.layout, channels, transform: () => evalTransform(settings.recipe, channels) });
      checkInputSize(model, settings.modelName, channels, input.size[0], input.size[1], `input ${opts.input}`);
      model.eval();
      const labels = files.classes;
      let logits: Float32Array | undefined;
      let k = 0;
      let done = 0;
      // one batch decoded, run and printed at a time: memory stays flat in the number of inputs
      for await (const batch of input.batches(opts.batchSize)) {
        let out: tf.Tensor2D;
        try {
          out = tf.tidy(() => model.forward(batch.images) as tf.Tensor2D);
        } catch (error) {
          throw new CliError(`forward pass failed on input of shape [${batch.images.shape.join(',')}] (NHWC): ${(error as Error).message.split('\n')[0]}`);
        } finally {
          batch.images.dispose();
        }
        k = out.shape[1];
        const values = out.dataSync() as Float32Array;
        const probs = tf.tidy(() => tf.softmax(out)).dataSync();
        out.dispose();
        if (opts.output) {
          logits ??= new Float32Array(input.count * k);
          logits.set(values, done * k);
        }
        for (let i = 0; i < batch.names.length; i++) {
          const row = Array.from(probs.subarray(i * k, (i + 1) * k));
          const top = row.map((p, c) => [p, c] as const).sort((a, b) => b[0] - a[0]).slice(0, opts.topK);
          const text = top.map(([p, c]) => `${labels?.[c] ?? c} ${(100 * p).toFixed(1)}%`).join(', ');
          process.stdout.write(`${batch.names[i]}: ${text}\n`);
        }
        done += batch.names.length;
      }
      model.dispose();
      if (opts.output && logits) {
        writeNpy(opts.output, { shape: [input.count, k], data: logits });
        process.stderr.write(`wrote logits [${input.count}, ${k}] to ${opts.output}\n`);
      }
    });
}
