import { join } from 'node:path';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { describeSkipped, ImageFolder } from '@nextnets/data-augment/node';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { Command } from 'commander';
import { activateBackend, checkOutputDir, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { parseInteger, parseModelArgs } from '../cli/parse.js';
import { buildModel, checkInputSize, modelChannels } from '../model/build.js';
import { engineOption, onnxPredictor, resolveEngine, type EngineChoice } from '../model/engine.js';
import { argsForCheckpoint, loadCheckpointInto } from '../model/checkpoint-files.js';
import { inferenceSettings } from '../model/inference-config.js';
import { openWeights, PRETRAINED_HELP } from '../model/weights-source.js';
import type { Recipe } from '../recipes/schema.js';
import { evalLoader, openData, type DataSplits } from '../train/data.js';
import { evaluate } from '../train/evaluate.js';

interface EvalOptions extends CommonOptions {
  model?: string;
  modelArgs?: string;
  checkpoint?: string;
  pretrained?: string | true;
  data?: string;
  batchSize?: number;
  inputSize?: number;
  ema: boolean;
  workers?: number;
  json?: boolean;
  engine: EngineChoice;
}

/**
 * The evaluation data. With the run's class names (classes.json), an ImageFolder is labelled by those names, so a
 * folder that lacks a class or orders them differently is still scored right, and a class the model was not trained
 * on is an error naming it; other datasets must have the same class names in the same order.
 */
function openEvalData(recipe: Recipe, channels: number, classes: string[] | undefined): DataSplits {
  const root = recipe.data.dataset;
  if (classes && channels === 3 && existsSync(root) && statSync(root).isDirectory()) {
    const split = ['val', 'validation', 'test'].map((d) => join(root, d)).find((d) => existsSync(d));
    const dir = existsSync(join(root, 'train')) && split ? split : root;
    let folder: ImageFolder;
    try {
      folder = new ImageFolder(dir, { classes });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    return { train: folder, eval: folder, evalName: 'val', classes, channels };
  }
  const data = openData(recipe, channels, 'eval');
  if (classes) {
    const differ = data.classes.findIndex((name, i) => name !== classes[i]);
    if (differ >= 0 || data.classes.length !== classes.length) {
      throw new CliError(`dataset '${root}' has classes (${data.classes.join(', ')}) but the checkpoint was trained on (${classes.join(', ')})`);
    }
  }
  return data;
}


export function evalCommand(): Command {
  return withCommonOptions(new Command('eval').description('top-1/top-5 accuracy, loss and confusion matrix of a checkpoint'), 'write eval.json (metrics + confusion matrix) here')
    .option('--model <name>', 'registered model name (default: the run\'s model when the checkpoint comes from `nextnets train`)')
    .option('--model-args <json>', 'model overrides as JSON')
    .option('--checkpoint <path>', 'model .safetensors file or a run checkpoint folder (runs/x/best)')
    .option('--pretrained [ref]', PRETRAINED_HELP)
    .option('--data <spec>', 'dataset (default: the run\'s dataset): ImageFolder path, fashion-mnist, mnist, cifar10:PATH, synthetic')
    .option('--batch-size <n>', 'evaluation batch size', parseInteger('--batch-size', 1))
    .option('--input-size <n>', 'evaluation image size', parseInteger('--input-size', 8))
    .option('--workers <n>', 'data loader worker threads', parseInteger('--workers'))
    .option('--no-ema', 'use the raw weights even when the checkpoint folder has ema.safetensors')
    .option('--json', 'print the full result (with confusion matrix) as JSON on stdout')
    .addOption(engineOption().default('wasm'))
    .addHelpText('after', '\nExamples:\n  nextnets eval --checkpoint runs/fashion_mnist_quick/best\n  nextnets eval --model convnext_atto --checkpoint model.safetensors --data /data/val-folder\n  nextnets eval --model convnext_atto --pretrained --data /data/imagenet/val --engine onnxruntime')
    .action(async (opts: EvalOptions) => {
      if (opts.out) checkOutputDir(opts.out);
      const source = await openWeights(opts);
      const files = source.files;
      const { tensors, path: weightsPath, metadata } = source.read(opts.ema);
      const settings = inferenceSettings(files, opts.model ?? source.model, parseModelArgs(opts.modelArgs), opts.inputSize, {
        metadata,
        pretrainedCfg: source.pretrainedCfg,
      });
      const recipe = settings.recipe;
      if (opts.data) recipe.data.dataset = opts.data;
      else if (!files.runConfig) throw new CliError('give --data (ImageFolder path, fashion-mnist, mnist, cifar10:PATH, synthetic)');
      if (opts.batchSize) recipe.train.evalBatchSize = opts.batchSize;
      if (opts.workers !== undefined) recipe.data.workers = opts.workers;
      recipe.data.evalLimit = undefined;
      const backend = await activateBackend(opts.backend);
      const channels = modelChannels(settings.modelArgs);
      const data = openEvalData(recipe, channels, files.classes);
      const skipped = data.eval instanceof ImageFolder ? describeSkipped(data.eval.skipped, data.eval.root) : undefined;
      if (skipped) process.stderr.write(`${skipped}\n`);
      const numClasses = (argsForCheckpoint(settings.modelName, settings.modelArgs, tensors).numClasses as number | undefined) ?? data.classes.length;
      if (numClasses !== data.classes.length) {
        throw new CliError(`the checkpoint's classifier has ${numClasses} classes but dataset '${recipe.data.dataset}' has ${data.classes.length}`);
      }
      const model = buildModel(settings.modelName, { ...settings.modelArgs, numClasses });
      loadCheckpointInto(model, tensors, weightsPath);
      const size = recipe.data.evalSize ?? recipe.data.imageSize;
      checkInputSize(model, settings.modelName, data.channels, size, size, `evaluation size (--input-size) ${size}`);
      const engine = await resolveEngine(opts.engine);
      const onnx = engine === 'onnxruntime' ? onnxPredictor(model, { modelName: settings.modelName, modelArgs: { ...settings.modelArgs, numClasses } }) : undefined;
      const loader = evalLoader(recipe, data);
      const result = await evaluate(model, loader, data.classes.length, onnx?.predict).finally(async () => {
        loader.close();
        await onnx?.dispose();
      });
      // files that passed the scan but failed to decode (corrupt, over the pixel limit) are left out of the metrics
      const undecoded = describeSkipped(loader.skipped, `${recipe.data.dataset} while decoding`);
      if (undecoded) process.stderr.write(`${undecoded}\n`);
      if (result.count === 0) throw new CliError(`no image of '${recipe.data.dataset}' could be evaluated (the metrics would be NaN)`);
      const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
      const report = {
        model: settings.modelName,
        checkpoint: weightsPath,
        weights: weightsPath === files.ema ? 'ema' : 'model',
        dataset: recipe.data.dataset,
        split: data.evalName,
        backend,
        engine: engine === 'onnxruntime' ? 'onnxruntime' : backend,
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
