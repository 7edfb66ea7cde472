import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getModelEntry, stateDict } from '@nextnets/core-layers';
import { saveSafetensors } from '@nextnets/core-layers/node';
import { reparameterize } from '@nextnets/models-rep';
import { Command, Option } from 'commander';
import { activateBackend, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { parseModelArgs } from '../cli/parse.js';
import { buildModel } from '../model/build.js';
import { checkpointNumClasses, loadCheckpointInto, locateCheckpoint, readWeights } from '../model/checkpoint-files.js';
import { inferenceSettings } from '../model/inference-config.js';
import { writeTfjsWeights } from '../model/tfjs-weights.js';
import { cliVersion } from '../version.js';

interface ExportOptions extends CommonOptions {
  model?: string;
  modelArgs?: string;
  checkpoint: string;
  reparameterize?: boolean;
  format: 'safetensors' | 'tfjs';
  ema: boolean;
}

export function exportCommand(): Command {
  return withCommonOptions(new Command('export').description('write a checkpoint as timm-compatible safetensors or tfjs weights'), 'output folder (default export)')
    .option('--model <name>', 'registered model name (default: the run\'s model)')
    .option('--model-args <json>', 'model overrides as JSON')
    .requiredOption('--checkpoint <path>', '.safetensors file or run checkpoint folder')
    .option('--reparameterize', 'fold multi-branch blocks (RepVGG, RepLKNet) into their deploy form first')
    .addOption(new Option('--format <format>', 'safetensors: timm keys + PyTorch layouts; tfjs: model.json weights manifest + .bin shards').choices(['safetensors', 'tfjs']).default('safetensors'))
    .option('--no-ema', 'export the raw weights even when the checkpoint folder has ema.safetensors')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets export --checkpoint runs/repvgg/best --reparameterize --out deploy',
        '  nextnets export --model convnextv2_atto --checkpoint model.safetensors --format tfjs --out web/model',
        '',
        'The tfjs format is TensorFlow.js\'s weights format (model.json with a weightsManifest and .bin shards) plus the',
        'model name/overrides; rebuild it with @nextnets packages (createModel + loadStateDict). It is not a tfjs graph model:',
        'that needs the Python tfjs-converter.',
      ].join('\n'),
    )
    .action(async (opts: ExportOptions) => {
      const files = locateCheckpoint(opts.checkpoint);
      const settings = inferenceSettings(files, opts.model, parseModelArgs(opts.modelArgs));
      await activateBackend(opts.backend);
      const weightsPath = opts.ema && files.ema ? files.ema : files.weights;
      const tensors = readWeights(weightsPath);
      const numClasses = (settings.modelArgs.numClasses as number | undefined) ?? checkpointNumClasses(tensors);
      const args = numClasses === undefined ? settings.modelArgs : { ...settings.modelArgs, numClasses };
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
      if (opts.format === 'safetensors') {
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
            pretrainedCfg: getModelEntry(settings.modelName).pretrainedCfg,
            classes: files.classes,
          },
          `@nextnets/cli ${cliVersion()}`,
        );
        process.stdout.write(`wrote ${written.map((f) => join(outDir, f)).join(', ')}\n`);
      }
      model.dispose();
    });
}
