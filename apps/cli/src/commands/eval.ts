import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { Command } from 'commander';
import { activateBackend, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { parseInteger, parseModelArgs } from '../cli/parse.js';
import { buildModel, modelChannels } from '../model/build.js';
import { checkpointNumClasses, loadCheckpointInto, locateCheckpoint, readWeights } from '../model/checkpoint-files.js';
import { inferenceSettings } from '../model/inference-config.js';
import { evalLoader, openData } from '../train/data.js';
import { evaluate } from '../train/evaluate.js';

interface EvalOptions extends CommonOptions {
  model?: string;
  modelArgs?: string;
  checkpoint: string;
  data?: string;
  batchSize?: number;
  inputSize?: number;
  ema: boolean;
  workers?: number;
  json?: boolean;
}

export function evalCommand(): Command {
  return withCommonOptions(new Command('eval').description('top-1/top-5 accuracy, loss and confusion matrix of a checkpoint'), 'write eval.json (metrics + confusion matrix) here')
    .option('--model <name>', 'registered model name (default: the run\'s model when the checkpoint comes from `nextnets train`)')
    .option('--model-args <json>', 'model overrides as JSON')
    .requiredOption('--checkpoint <path>', 'model .safetensors file or a run checkpoint folder (runs/x/best)')
    .option('--data <spec>', 'dataset (default: the run\'s dataset): ImageFolder path, fashion-mnist, mnist, cifar10:PATH, synthetic')
    .option('--batch-size <n>', 'evaluation batch size', parseInteger('--batch-size', 1))
    .option('--input-size <n>', 'evaluation image size', parseInteger('--input-size', 8))
    .option('--workers <n>', 'data loader worker threads', parseInteger('--workers'))
    .option('--no-ema', 'use the raw weights even when the checkpoint folder has ema.safetensors')
    .option('--json', 'print the full result (with confusion matrix) as JSON on stdout')
    .addHelpText('after', '\nExamples:\n  nextnets eval --checkpoint runs/fashion_mnist_quick/best\n  nextnets eval --model convnext_atto --checkpoint model.safetensors --data /data/val-folder')
    .action(async (opts: EvalOptions) => {
      const files = locateCheckpoint(opts.checkpoint);
      const settings = inferenceSettings(files, opts.model, parseModelArgs(opts.modelArgs), opts.inputSize);
      const recipe = settings.recipe;
      if (opts.data) recipe.data.dataset = opts.data;
      else if (!files.runConfig) throw new CliError('give --data (ImageFolder path, fashion-mnist, mnist, cifar10:PATH, synthetic)');
      if (opts.batchSize) recipe.train.evalBatchSize = opts.batchSize;
      if (opts.workers !== undefined) recipe.data.workers = opts.workers;
      recipe.data.evalLimit = undefined;
      const backend = await activateBackend(opts.backend);
      const data = openData(recipe, modelChannels(settings.modelArgs), 'eval');
      const weightsPath = opts.ema && files.ema ? files.ema : files.weights;
      const tensors = readWeights(weightsPath);
      const numClasses = (settings.modelArgs.numClasses as number | undefined) ?? checkpointNumClasses(tensors) ?? data.classes.length;
      if (numClasses !== data.classes.length) {
        throw new CliError(`the checkpoint's classifier has ${numClasses} classes but dataset '${recipe.data.dataset}' has ${data.classes.length}`);
      }
      const model = buildModel(settings.modelName, { ...settings.modelArgs, numClasses });
      loadCheckpointInto(model, tensors, weightsPath);
      const loader = evalLoader(recipe, data);
      const result = await evaluate(model, loader, data.classes.length).finally(() => loader.close());
      const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
      const report = {
        model: settings.modelName,
        checkpoint: weightsPath,
        weights: weightsPath === files.ema ? 'ema' : 'model',
        dataset: recipe.data.dataset,
        split: data.evalName,
        backend,
        count: result.count,
        loss: result.loss,
        top1: result.top1,
        top5: result.top5,
        classes: data.classes,
        confusion: result.confusion,
      };
      if (opts.out) {
        mkdirSync(opts.out, { recursive: true });
        writeFileAtomic(join(opts.out, 'eval.json'), `${JSON.stringify(report, null, 1)}\n`);
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        process.stdout.write(
          `${settings.modelName} (${report.weights} weights) on ${recipe.data.dataset} ${data.evalName}: top-1 ${pct(result.top1)}, top-5 ${pct(result.top5)}, loss ${result.loss.toFixed(4)} (${result.count} images)\n`,
        );
      }
    });
}
