import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { profile } from '@nextnets/core-layers';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { Command } from 'commander';
import { activateBackend, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { parseInteger, parseModelArgs } from '../cli/parse.js';
import { buildModel, modelChannels } from '../model/build.js';

interface ProfileOptions extends CommonOptions {
  model: string;
  modelArgs?: string;
  inputSize: number;
}

export function profileCommand(): Command {
  return withCommonOptions(new Command('profile').description('parameters, GMACs and an activation-memory estimate for one image'), 'also write profile.json here')
    .requiredOption('--model <name>', 'registered model name')
    .option('--model-args <json>', 'model overrides as JSON, e.g. \'{"numClasses":10}\'')
    .option('--input-size <n>', 'square input side', parseInteger('--input-size', 1), 224)
    .addHelpText('after', '\nExample:\n  nextnets profile --model convnextv2_atto --input-size 224')
    .action(async (opts: ProfileOptions) => {
      await activateBackend(opts.backend);
      const args = parseModelArgs(opts.modelArgs);
      const model = buildModel(opts.model, args);
      try {
        const p = profile(model, opts.inputSize, modelChannels(args));
        const lines = [
          `model        ${opts.model} ${Object.keys(args).length > 0 ? JSON.stringify(args) : ''}`.trimEnd(),
          `input        1x${opts.inputSize}x${opts.inputSize}x${modelChannels(args)} (NHWC)`,
          `params       ${p.params.toLocaleString('en-US')} (${(p.params / 1e6).toFixed(2)} M)`,
          `GMACs        ${p.gmacs.toFixed(4)}`,
          `activations  ${(p.activationBytes / 2 ** 20).toFixed(1)} MiB (forward, batch 1, float32; estimate)`,
          `output       [${p.outputShape.join(', ')}]`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        if (opts.out) {
          mkdirSync(opts.out, { recursive: true });
          writeFileAtomic(join(opts.out, 'profile.json'), `${JSON.stringify({ model: opts.model, modelArgs: args, inputSize: opts.inputSize, ...p }, null, 1)}\n`);
        }
      } finally {
        model.dispose();
      }
    });
}
