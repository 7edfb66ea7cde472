/**
 * `nextnets roadmap`: trains the ConvNeXt paper's roadmap steps (@nextnets/models-roadmap) under one recipe, seed and
 * dataset, one run folder per step (resumable: finished steps are kept, an interrupted one continues from its `last`
 * checkpoint), plus the kernel-size sweep of `roadmap_kernel_7`, and writes the table and figures.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { profile } from '@nextnets/core-layers';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { ROADMAP_STEPS, roadmapStep } from '@nextnets/models-roadmap';
import { Command } from 'commander';
import { activateBackend, withCommonOptions, type CommonOptions } from '../cli/common.js';
import { CliError } from '../cli/errors.js';
import { parseInteger, parseNumber } from '../cli/parse.js';
import { buildModel, modelChannels } from '../model/build.js';
import { loadRecipe, validateRecipe } from '../recipes/load.js';
import { applyOverrides } from '../recipes/overrides.js';
import type { Recipe } from '../recipes/schema.js';
import { applyDataFallback } from '../train/data.js';
import { MetricsLog, type EpochSummary } from '@nextnets/train';
import { NodeStorage } from '@nextnets/train/node';
import { createTrainingSetup } from '../train/setup.js';
import { runTraining } from '../train/engine.js';
import { writeRoadmapReport, type RoadmapRecord, type RoadmapReport } from './roadmap-report.js';

interface RoadmapOptions extends CommonOptions {
  recipe: string;
  steps?: string;
  kernelSizes: string;
  widthMult: number;
  depthMult: number;
  data?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  maxSteps?: number;
  imageSize?: number;
  workers?: number;
}

/** One network to train: a step, or `roadmap_kernel_7` at another kernel size. */
interface RoadmapRun {
  id: string;
  step: string;
  kernelSize?: number;
}

const SWEEP_STEP = 'roadmap_kernel_7';

/** `--steps a,b,c` in roadmap order (unknown names are one-line errors); all 12 when absent. */
export function parseSteps(text: string | undefined): string[] {
  if (text === undefined) return ROADMAP_STEPS.map((s) => s.name);
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new CliError('--steps needs at least one step name');
  for (const name of names) {
    try {
      roadmapStep(name);
    } catch (error) {
      throw new CliError(`--steps: ${(error as Error).message}`);
    }
  }
  return ROADMAP_STEPS.map((s) => s.name).filter((n) => names.includes(n));
}

/** `--kernel-sizes 3,5,7,9,11` (odd integers) or `none`. */
export function parseKernelSizes(text: string): number[] {
  if (text.trim() === 'none') return [];
  const sizes = text.split(',').map((s) => Number(s.trim()));
  const bad = sizes.find((k) => !Number.isInteger(k) || k < 1 || k % 2 === 0);
  if (bad !== undefined) throw new CliError(`--kernel-sizes must be odd positive integers separated by commas (or 'none'), got '${text}'`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** The runs: each step, then the sweep's other kernel sizes when `roadmap_kernel_7` is among the steps. */
function planRuns(steps: string[], kernels: number[]): RoadmapRun[] {
  const runs: RoadmapRun[] = steps.map((step) => ({ id: step, step }));
  const sweepBase = roadmapStep(SWEEP_STEP).arch.kernelSize;
  if (steps.includes(SWEEP_STEP)) {
    for (const k of kernels) if (k !== sweepBase) runs.push({ id: `${SWEEP_STEP}_k${k}`, step: SWEEP_STEP, kernelSize: k });
  }
  return runs;
}

/**
 * The recipe of one run: the shared recipe with its model replaced by the step (the recipe's `inChans` and
 * `dropPathRate` carry over; its other model args belong to the recipe's own model and are dropped).
 */
function runRecipe(shared: Recipe, run: RoadmapRun, widthMult: number, depthMult: number): Recipe {
  const args: Record<string, unknown> = { widthMult, depthMult };
  for (const key of ['inChans', 'dropPathRate']) if (shared.model.args[key] !== undefined) args[key] = shared.model.args[key];
  if (run.kernelSize !== undefined) args.kernelSize = run.kernelSize;
  return validateRecipe({ ...structuredClone(shared), name: run.id, model: { ...shared.model, name: run.step, args } }, `roadmap step ${run.id}`);
}

/** The settings every step shares; a roadmap folder only continues under the same ones. */
function sharedSettings(recipe: Recipe, widthMult: number, depthMult: number): string {
  return `${JSON.stringify({ recipe: { ...recipe, model: { name: '(per step)', args: { inChans: recipe.model.args.inChans, dropPathRate: recipe.model.args.dropPathRate } } }, widthMult, depthMult }, null, 1)}\n`;
}

interface StepSummary {
  steps: number;
  final?: { top1: number; top5: number };
}

/** Training time of a run over all its sessions (resumed ones included): the epochs' seconds in metrics.jsonl. */
async function trainingSeconds(dir: string): Promise<number> {
  const epochs = (await new MetricsLog(new NodeStorage(dir)).read()).filter((r): r is EpochSummary => r.type === 'epoch');
  return epochs.reduce((sum, e) => sum + e.seconds, 0);
}

/** Params and GMACs of a run's model at the trained input size (a fresh, small model: nothing is trained). */
function measure(recipe: Recipe, numClasses: number): { params: number; gmacs: number } {
  const model = buildModel(recipe.model.name, { ...recipe.model.args, numClasses });
  try {
    const result = profile(model, recipe.data.imageSize, modelChannels(recipe.model.args));
    return { params: result.params, gmacs: result.gmacs };
  } finally {
    model.dispose();
  }
}

async function trainRun(recipe: Recipe, dir: string, header: string, log: (line: string) => void): Promise<{ summary: StepSummary; numClasses: number }> {
  const setup = createTrainingSetup(recipe);
  const numClasses = setup.data.classes.length;
  // a step's folder that holds files is this roadmap's earlier, interrupted attempt: continue it (from scratch when it
  // has no checkpoint yet) rather than refusing the folder
  const resume = existsSync(dir) && readdirSync(dir).some((name) => name !== '.lock');
  try {
    const result = await runTraining(setup, { outDir: dir, resume, header: [header], log });
    return { summary: { steps: result.steps, final: result.final }, numClasses };
  } finally {
    // Each step is a fresh network: free this one's weights, optimizer slots and EMA before the next.
    setup.optimizer.dispose();
    setup.ema?.dispose();
    setup.model.dispose();
  }
}

export function roadmapCommand(): Command {
  return withCommonOptions(new Command('roadmap').description("train the ConvNeXt paper's roadmap steps under one recipe and draw its Figure 2"), 'roadmap folder (default runs/roadmap)')
    .option('--recipe <file|name>', 'the shared recipe (its model is replaced by each step)', 'roadmap_fashion_mnist')
    .option('--steps <a,b,c>', 'only these steps (registry names, run in roadmap order); default all 12')
    .option('--kernel-sizes <list>', `kernel sizes of the ${SWEEP_STEP} sweep (runs when that step is included), or 'none'`, '3,5,7,9,11')
    .option('--width-mult <x>', 'scale every width (multiples of 8)', parseNumber('--width-mult'), 0.25)
    .option('--depth-mult <x>', 'scale every depth (at least one block per stage)', parseNumber('--depth-mult'), 0.34)
    .option('--data <spec>', 'dataset: fashion-mnist, cifar10:PATH, an ImageFolder path, synthetic')
    .option('--epochs <n>', 'override schedule.epochs', parseInteger('--epochs', 1))
    .option('--batch-size <n>', 'override train.batchSize', parseInteger('--batch-size', 1))
    .option('--lr <x>', 'absolute learning rate', parseNumber('--lr'))
    .option('--max-steps <n>', 'stop each step after this many optimizer steps', parseInteger('--max-steps', 1))
    .option('--image-size <n>', 'override data.imageSize', parseInteger('--image-size', 8))
    .option('--workers <n>', 'data loader worker threads', parseInteger('--workers'))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  nextnets roadmap --out runs/roadmap                      # all steps + kernel sweep on Fashion-MNIST',
        '  nextnets roadmap --data cifar10:/data/cifar-10-batches-bin --out runs/roadmap-cifar',
        '  nextnets roadmap --steps roadmap_resnet50,roadmap_patchify,roadmap_separate_downsampling --max-steps 20',
        'Run the same command again to continue an interrupted roadmap (finished steps are kept).',
      ].join('\n'),
    )
    .action(async (opts: RoadmapOptions) => {
      if (!(opts.widthMult > 0) || !(opts.depthMult > 0)) throw new CliError('--width-mult and --depth-mult must be > 0');
      const steps = parseSteps(opts.steps);
      const kernels = parseKernelSizes(opts.kernelSizes);
      const backend = await activateBackend(opts.backend);
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      const { recipe: base, path } = loadRecipe(opts.recipe);
      const overridden = applyOverrides(base, {
        data: opts.data,
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        lr: opts.lr,
        maxSteps: opts.maxSteps,
        imageSize: opts.imageSize,
        workers: opts.workers,
        seed: opts.seed,
      });
      // The fallback is decided once, so every step trains on the same data.
      const { recipe: shared, notice } = applyDataFallback(overridden);
      if (notice) log(notice);
      const outDir = opts.out ?? join('runs', 'roadmap');
      mkdirSync(outDir, { recursive: true });
      const settingsPath = join(outDir, 'roadmap-settings.json');
      const settings = sharedSettings(shared, opts.widthMult, opts.depthMult);
      if (existsSync(settingsPath) && readFileSync(settingsPath, 'utf8') !== settings) {
        throw new CliError(`${settingsPath}: this folder holds a roadmap trained with other settings (recipe, data, widths); use another --out`);
      }
      writeFileAtomic(settingsPath, settings);
      const runs = planRuns(steps, kernels);
      log(`nextnets roadmap: ${runs.length} networks (${path}, ${shared.data.dataset}, width ×${opts.widthMult}, depth ×${opts.depthMult}) on ${backend}, output ${outDir}`);
      const records: RoadmapRecord[] = [];
      for (const [i, run] of runs.entries()) {
        const recipe = runRecipe(shared, run, opts.widthMult, opts.depthMult);
        const dir = join(outDir, run.id);
        const summaryPath = join(dir, 'summary.json');
        let summary: StepSummary;
        let numClasses: number;
        if (existsSync(summaryPath)) {
          summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as StepSummary;
          numClasses = (JSON.parse(readFileSync(join(dir, 'classes.json'), 'utf8')) as string[]).length;
          log(`[${i + 1}/${runs.length}] ${run.id}: already trained (${summaryPath}), kept`);
        } else {
          log(`[${i + 1}/${runs.length}] ${run.id}: training${existsSync(join(dir, 'last')) ? ' (continuing from its last checkpoint)' : ''}`);
          ({ summary, numClasses } = await trainRun(recipe, dir, `nextnets roadmap (${path}, step ${run.id}, backend ${backend})`, log));
        }
        const info = roadmapStep(run.step);
        records.push({
          id: run.id,
          step: run.step,
          change: info.change,
          kernelSize: run.kernelSize ?? info.arch.kernelSize,
          ...measure(recipe, numClasses),
          top1: summary.final?.top1 ?? null,
          top5: summary.final?.top5 ?? null,
          steps: summary.steps,
          seconds: await trainingSeconds(dir),
          paperTop1: info.paperTop1,
          paperGmacs: info.paperGmacs,
        });
      }
      const sweep = records.filter((r) => r.step === SWEEP_STEP && kernels.includes(r.kernelSize)).sort((a, b) => a.kernelSize - b.kernelSize);
      const report: RoadmapReport = {
        command: `nextnets ${process.argv.slice(2).join(' ')}`,
        backend,
        dataset: shared.data.dataset,
        imageSize: shared.data.imageSize,
        widthMult: opts.widthMult,
        depthMult: opts.depthMult,
        seed: shared.seed,
        steps: records.filter((r) => r.id === r.step),
        kernelSweep: sweep,
      };
      await writeRoadmapReport(outDir, report, log);
      process.stdout.write(`roadmap of ${report.steps.length} steps written to ${join(outDir, 'roadmap.md')} and roadmap.svg/.png\n`);
    });
}
