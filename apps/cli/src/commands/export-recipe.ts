import { Command, Option } from 'commander';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { CliError } from '../cli/errors.js';
import { parseInteger, parseModelArgs, parseNumber } from '../cli/parse.js';
import { loadRecipe } from '../recipes/load.js';
import { applyOverrides } from '../recipes/overrides.js';
import { timmYaml } from '../recipes/timm-export.js';

interface ExportRecipeOptions {
  recipe?: string;
  format: 'timm';
  out?: string;
  model?: string;
  modelArgs?: string;
  data?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  imageSize?: number;
}

/**
 * `nextnets export-recipe`: a recipe (built-in, a YAML file, or a run's config.yaml) as a timm `train.py --config`
 * YAML, to continue at scale on PyTorch DDP.
 */
export function exportRecipeCommand(): Command {
  return new Command('export-recipe')
    .description("write a recipe as another trainer's config (timm train.py --config YAML)")
    .option('--recipe <file|name>', 'YAML recipe file, built-in recipe name, or a run folder\'s config.yaml')
    .addOption(new Option('--format <format>', 'output format').choices(['timm']).default('timm'))
    .option('--out <file>', 'write the YAML here (default: stdout)')
    .option('--model <name>', 'override model.name')
    .option('--model-args <json>', 'merge into model.args (JSON object)')
    .option('--data <spec>', 'dataset (an ImageFolder path becomes data_dir)')
    .option('--epochs <n>', 'override schedule.epochs', parseInteger('--epochs', 1))
    .option('--batch-size <n>', 'override train.batchSize (per GPU in timm)', parseInteger('--batch-size', 1))
    .option('--lr <x>', 'absolute learning rate', parseNumber('--lr'))
    .option('--image-size <n>', 'final train size and eval size', parseInteger('--image-size', 8))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets export-recipe --recipe convnext_tiny_in1k --data /data/imagenet --out args.yaml',
        '  torchrun --nproc_per_node=8 train.py --config args.yaml --initial-checkpoint runs/x/last/model.safetensors',
        '  nextnets eval --checkpoint output/train/<run>/model_best.pth.tar   # back from timm (see README)',
      ].join('\n'),
    )
    .action((opts: ExportRecipeOptions) => {
      if (!opts.recipe) throw new CliError('give --recipe FILE|NAME (a built-in recipe, a YAML file or a run\'s config.yaml)');
      const { recipe: base, path } = loadRecipe(opts.recipe);
      const recipe = applyOverrides(base, {
        model: opts.model,
        modelArgs: opts.modelArgs !== undefined ? parseModelArgs(opts.modelArgs) : undefined,
        data: opts.data,
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        lr: opts.lr,
        imageSize: opts.imageSize,
      });
      const yaml = timmYaml(recipe, path);
      if (!opts.out) {
        process.stdout.write(yaml);
        return;
      }
      writeFileAtomic(opts.out, yaml);
      process.stderr.write(`wrote ${opts.out} (timm train.py --config)\n`);
    });
}
