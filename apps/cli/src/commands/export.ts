import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getModelEntry, stateDict } from '@nextnets/core-layers';
import { saveSafetensors, writeFileAtomic } from '@nextnets/core-layers/node';
import { reparameterize } from '@nextnets/models-rep';
import { Command, Option } from 'commander';
import { activateBackend, checkOutputDir, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { parseInteger, parseModelArgs } from '../cli/parse.js';
import { buildModel, modelChannels } from '../model/build.js';
import { argsForCheckpoint, loadCheckpointInto } from '../model/checkpoint-files.js';
import { exportOnnxBytes } from '../model/engine.js';
import { inferenceSettings } from '../model/inference-config.js';
import { openWeights, PRETRAINED_HELP } from '../model/weights-source.js';
import { writeTfjsWeights } from '../model/tfjs-weights.js';
import { cliVersion } from '../version.js';

interface ExportOptions extends CommonOptions {
  model?: string;
  modelArgs?: string;
  checkpoint?: string;
  pretrained?: string | true;
  reparameterize?: boolean;
  format: 'safetensors' | 'tfjs' | 'onnx';
  inputSize?: number;
  ema: boolean;
}

export function exportCommand(): Command {
  return withCommonOptions(new Command('export').description('write a checkpoint as timm-compatible safetensors, tfjs weights or an ONNX model'), 'output folder (default export)')
    .option('--model <name>', 'registered model name (default: the run\'s model)')
    .option('--model-args <json>', 'model overrides as JSON')
    .option('--checkpoint <path>', '.safetensors file or run checkpoint folder')
    .option('--pretrained [ref]', PRETRAINED_HELP)
    .option('--reparameterize', 'fold multi-branch blocks (RepVGG, RepLKNet) into their deploy form first')
    .addOption(
      new Option('--format <format>', 'safetensors: timm keys + PyTorch layouts; tfjs: model.json weights manifest + .bin shards; onnx: model.onnx (opset 17, NCHW, dynamic batch)')
        .choices(['safetensors', 'tfjs', 'onnx'])
        .default('safetensors'),
    )
    .option('--input-size <n>', 'onnx: image side of the graph input (default: the run\'s eval size or the model\'s pretrained cfg)', parseInteger('--input-size', 8))
    .option('--no-ema', 'export the raw weights even when the checkpoint folder has ema.safetensors')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets export --checkpoint runs/repvgg/best --reparameterize --out deploy',
        '  nextnets export --model convnextv2_atto --checkpoint model.safetensors --format tfjs --out web/model',
        '  nextnets export --model repvgg_a0 --pretrained --reparameterize --format tfjs --out web/repvgg',
        '  nextnets export --model repvgg_a0 --checkpoint model.safetensors --format onnx --reparameterize --out deploy',
        '',
        'The tfjs format is TensorFlow.js\'s weights format (model.json with a weightsManifest and .bin shards) plus the',
        'model name/overrides; rebuild it with @nextnets packages (createModel + loadStateDict). It is not a tfjs graph model:',
        'that needs the Python tfjs-converter.',
        'The onnx format is a standard ONNX graph (input `input` [batch, C, H, W] float32, output `logits`) with the model',
        'name, arguments and preprocessing (input_size, mean, std, crop_pct, interpolation) in its metadata_props; run it',
        'with onnxruntime (`nextnets predict --checkpoint model.onnx`) or any ONNX runtime.',
      ].join('\n'),
    )
    .action(async (opts: ExportOptions) => {
      checkOutputDir(opts.out ?? 'export');
      const source = await openWeights(opts);
      const files = source.files;
      const { tensors, path: weightsPath, metadata: recorded } = source.read(opts.ema);
      const settings = inferenceSettings(files, opts.model ?? source.model, parseModelArgs(opts.modelArgs), opts.inputSize, {
        metadata: recorded,
        pretrainedCfg: source.pretrainedCfg,
      });
      await activateBackend(opts.backend);
      const args = argsForCheckpoint(settings.modelName, settings.modelArgs, tensors);
      const model = buildModel(settings.modelName, args);
      loadCheckpointInto(model, tensors, weightsPath);
      model.eval();
      if (opts.reparameterize) {
        const before = model.numParams();
        reparameterize(model);
        process.stderr.write(`reparameterized: ${before.toLocaleString('en-US')} -> ${model.numParams().toLocaleString('en-US')} parameters\n`);
      }
      const outDir = opts.out ?? 'export';
      mkdirSync(outDir, { recursive: true });
      const metadata = { model: settings.modelName, model_args: JSON.stringify(args), reparameterized: String(Boolean(opts.reparameterize)) };
      if (opts.format === 'onnx') {
        const path = join(outDir, 'model.onnx');
        const data = settings.recipe.data;
        const size = data.evalSize ?? data.imageSize;
        const channels = modelChannels(args);
        const cfg = getModelEntry(settings.modelName).pretrainedCfg;
        const perChannel = (v: number[] | undefined, fallback: [number, number, number]): [number, number, number] =>
          (v ? (v.length === 1 ? [v[0], v[0], v[0]] : v) : fallback) as [number, number, number];
        const bytes = exportOnnxBytes(model, {
          modelName: settings.modelName,
          modelArgs: args,
          inputSize: [channels, size, size],
          pretrainedCfg: {
            inputSize: [channels, size, size],
            mean: perChannel(data.mean, cfg.mean),
            std: perChannel(data.std, cfg.std),
            cropPct: data.cropPct,
            interpolation: data.interpolation,
          },
          // A deploy-form checkpoint (reparam keys) was folded on load, without --reparameterize.
          metadata: {
            reparameterized: String(Boolean(opts.reparameterize) || model.namedParameters().some(([name]) => /reparam/.test(name))),
            ...(files.classes ? { classes: JSON.stringify(files.classes) } : {}),
          },
          producerVersion: cliVersion(),
        });
        writeFileAtomic(path, bytes);
        process.stdout.write(`wrote ${path} (${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB, input [batch, ${channels}, ${size}, ${size}])\n`);
      } else if (opts.format === 'safetensors') {
        const path = join(outDir, 'model.safetensors');
        saveSafetensors(model, path, metadata);
        process.stdout.write(`wrote ${path}\n`);
      } else {
        const written = writeTfjsWeights(
          outDir,
          stateDict(model),
          {
            model: settings.modelName,
            modelArgs: args,
            reparameterized: Boolean(opts.reparameterize),
            layout: 'pytorch',
            pretrainedCfg: source.pretrainedCfg ?? getModelEntry(settings.modelName).pretrainedCfg,
            classes: source.classes(model.numClasses),
          },
          `@nextnets/cli ${cliVersion()}`,
        );
        process.stdout.write(`wrote ${written.map((f) => join(outDir, f)).join(', ')}\n`);
      }
      model.dispose();
    });
}
