import * as tf from '@tensorflow/tfjs-core';
import { writeNpy } from '@nextnets/core-layers/node';
import { Command, Option } from 'commander';
import { activateBackend, checkOutputFile, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { parseInteger, parseModelArgs } from '../cli/parse.js';
import { buildModel, checkInputSize, modelChannels } from '../model/build.js';
import { engineOption, loadOnnx, onnxLogits, onnxPredictor, resolveEngine, type EngineChoice } from '../model/engine.js';
import { argsForCheckpoint, loadCheckpointInto, type CheckpointFiles } from '../model/checkpoint-files.js';
import { inferenceSettings, type InferenceSettings } from '../model/inference-config.js';
import { openWeights, PRETRAINED_HELP, type OpenedWeights } from '../model/weights-source.js';
import { evalTransform } from '../train/data.js';
import { readPredictInput } from './predict-inputs.js';

interface PredictOptions extends CommonOptions {
  model?: string;
  modelArgs?: string;
  checkpoint?: string;
  pretrained?: string | true;
  input: string;
  output?: string;
  layout: 'nchw' | 'nhwc';
  topK: number;
  batchSize: number;
  inputSize?: number;
  ema: boolean;
  engine?: EngineChoice;
}

type BatchLogits = (batch: tf.Tensor4D) => Promise<tf.Tensor2D>;

/**
 * An exported `.onnx` file: model name, arguments and preprocessing come from its metadata (written by
 * `nextnets export --format onnx`); `--model`, `--model-args` and `--input-size` still override them.
 */
async function onnxFileSettings(path: string, opts: PredictOptions): Promise<{ settings: InferenceSettings; files: CheckpointFiles; session: Awaited<ReturnType<typeof loadOnnx>> }> {
  const session = await loadOnnx(path);
  const meta = session.metadata;
  const modelName = opts.model ?? meta.model;
  if (!modelName) throw new CliError(`${path}: no 'model' in its metadata; give --model NAME`);
  const files: CheckpointFiles = { weights: path, classes: meta.classes ? (JSON.parse(meta.classes) as string[]) : undefined };
  const args = { ...(meta.model_args ? (JSON.parse(meta.model_args) as Record<string, unknown>) : {}), ...parseModelArgs(opts.modelArgs) };
  const [, size] = session.inputSize;
  const settings = inferenceSettings(files, modelName, args, opts.inputSize ?? size);
  const data = settings.recipe.data;
  if (meta.mean) data.mean = JSON.parse(meta.mean) as number[];
  if (meta.std) data.std = JSON.parse(meta.std) as number[];
  if (meta.crop_pct) data.cropPct = Number(meta.crop_pct);
  if (meta.interpolation === 'bilinear' || meta.interpolation === 'bicubic' || meta.interpolation === 'nearest') data.interpolation = meta.interpolation;
  return { settings, files, session };
}

export function predictCommand(): Command {
  return withCommonOptions(new Command('predict').description('classify images or an .npy batch with a checkpoint'))
    .option('--model <name>', 'registered model name (default: the run\'s model)')
    .option('--model-args <json>', 'model overrides as JSON')
    .option('--checkpoint <path>', 'timm-key .safetensors (e.g. timm\'s model.safetensors), a run checkpoint folder or an exported .onnx')
    .option('--pretrained [ref]', PRETRAINED_HELP)
    .requiredOption('--input <path>', 'an image, a folder of images, or a .npy float32 batch')
    .option('--output <file.npy>', 'write the logits [N, classes] as float32 .npy')
    .addOption(new Option('--layout <layout>', 'layout of a .npy input').choices(['nchw', 'nhwc']).default('nchw'))
    .option('--top-k <k>', 'labels to print per input', parseInteger('--top-k', 1), 5)
    .option('--batch-size <n>', 'inference batch size', parseInteger('--batch-size', 1), 32)
    .option('--input-size <n>', 'image size for image inputs', parseInteger('--input-size', 8))
    .option('--no-ema', 'use the raw weights even when the checkpoint folder has ema.safetensors')
    .addOption(engineOption())
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets predict --checkpoint runs/fashion_mnist_quick/best --input shoe.png',
        '  nextnets predict --model convnextv2_atto --checkpoint model.safetensors --input batch.npy --output logits.npy',
        '  nextnets predict --model convnext_atto --pretrained --input cat.jpg        # timm/convnext_atto.d2_in1k, ImageNet labels',
        '  nextnets predict --pretrained timm/convnext_tiny.in12k_ft_in1k@main --input photos/',
        '  nextnets predict --checkpoint deploy/model.onnx --input shoe.png   # onnxruntime (nextnets export --format onnx)',
        '',
        'A .onnx checkpoint runs on onnxruntime; a safetensors checkpoint runs on --engine (default wasm: tfjs on',
        '--backend; onnxruntime exports the model to ONNX in memory first).',
      ].join('\n'),
    )
    .action(async (opts: PredictOptions) => {
      if (opts.output) checkOutputFile(opts.output, '--output');
      const onnxPath = opts.checkpoint?.endsWith('.onnx') ? opts.checkpoint : undefined;
      if (onnxPath) {
        if (opts.pretrained !== undefined) throw new CliError('give either --checkpoint or --pretrained, not both');
        if (opts.engine === 'wasm') throw new CliError(`${onnxPath} is an ONNX model: it runs with --engine onnxruntime (or auto)`);
        await resolveEngine('onnxruntime');
      }
      const onnxFile = onnxPath ? await onnxFileSettings(onnxPath, opts) : undefined;
      const source: OpenedWeights | undefined = onnxFile ? undefined : await openWeights(opts);
      const weights = source?.read(opts.ema);
      const files = onnxFile?.files ?? source!.files;
      const settings =
        onnxFile?.settings ??
        inferenceSettings(files, opts.model ?? source?.model, parseModelArgs(opts.modelArgs), opts.inputSize, {
          metadata: weights?.metadata,
          pretrainedCfg: source?.pretrainedCfg,
        });
      await activateBackend(opts.backend);
      let logitsOf: BatchLogits;
      let release = async () => {};
      let checkModel: ((size: [number, number], what: string) => void) | undefined;
      let channels = modelChannels(settings.modelArgs);
      if (onnxFile) {
        const session = onnxFile.session;
        channels = session.inputSize[0];
        logitsOf = (batch) => onnxLogits(session, batch);
        release = () => session.dispose();
      } else {
        const { tensors, path: weightsPath } = weights!;
        const args = argsForCheckpoint(settings.modelName, settings.modelArgs, tensors);
        const model = buildModel(settings.modelName, args);
        loadCheckpointInto(model, tensors, weightsPath);
        model.eval();
        channels = modelChannels(args);
        const modelChannelCount = channels;
        checkModel = (size, what) => checkInputSize(model, settings.modelName, modelChannelCount, size[0], size[1], what);
        if ((await resolveEngine(opts.engine ?? 'wasm')) === 'onnxruntime') {
          const engine = onnxPredictor(model, { modelName: settings.modelName, modelArgs: args });
          logitsOf = engine.predict;
          release = async () => {
            await engine.dispose();
            model.dispose();
          };
        } else {
          logitsOf = async (batch) => tf.tidy(() => model.forward(batch) as tf.Tensor2D);
          release = async () => model.dispose();
        }
      }
      const input = await readPredictInput(opts.input, { layout: opts.layout, channels, transform: () => evalTransform(settings.recipe, channels) });
      const labels = source ? undefined : files.classes;
      let logits: Float32Array | undefined;
      let k = 0;
      let done = 0;
      try {
        if (checkModel) checkModel(input.size, `input ${opts.input}`);
        // one batch decoded, run and printed at a time: memory stays flat in the number of inputs
        for await (const batch of input.batches(opts.batchSize)) {
          let out: tf.Tensor2D;
          try {
            out = await logitsOf(batch.images);
          } catch (error) {
            if (error instanceof CliError) throw error;
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
          const names = labels ?? source?.classes(k);
          for (let i = 0; i < batch.names.length; i++) {
            const row = Array.from(probs.subarray(i * k, (i + 1) * k));
            const top = row.map((p, c) => [p, c] as const).sort((a, b) => b[0] - a[0]).slice(0, opts.topK);
            const text = top.map(([p, c]) => `${names?.[c] ?? c} ${(100 * p).toFixed(1)}%`).join(', ');
            process.stdout.write(`${batch.names[i]}: ${text}\n`);
          }
          done += batch.names.length;
        }
      } finally {
        await release();
      }
      if (opts.output && logits) {
        writeNpy(opts.output, { shape: [input.count, k], data: logits });
        process.stderr.write(`wrote logits [${input.count}, ${k}] to ${opts.output}\n`);
      }
    });
}
