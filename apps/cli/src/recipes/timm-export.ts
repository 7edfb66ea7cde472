/**
 * A recipe as a timm `train.py --config` YAML, for runs that outgrow one machine (timm on PyTorch DDP:
 * `torchrun --nproc_per_node=8 train.py --config args.yaml`). Every key is a train.py argument name (see
 * timm-train-args.ts); what timm has no flag for becomes a one-line `# note:` comment instead of a key.
 */
import { stringify as toYaml } from 'yaml';
import { CliError } from '../cli/errors.js';
import type { Recipe } from './schema.js';
import { TIMM_COMMIT, TIMM_TRAIN_ARGS, TIMM_VERSION } from './timm-train-args.js';

export interface TimmConfig {
  /** train.py argument name → value. */
  args: Record<string, unknown>;
  /** One line per recipe setting timm's train.py has no flag for (or treats differently). */
  notes: string[];
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Model args with a train.py flag of their own; the rest go to `model_kwargs` in snake_case. */
const MODEL_ARG_FLAGS: Record<string, string> = { numClasses: 'num_classes', inChans: 'in_chans', dropRate: 'drop', dropPathRate: 'drop_path', headInitScale: 'head_init_scale' };

function modelArgs(recipe: Recipe, args: Record<string, unknown>): void {
  const kwargs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(recipe.model.args)) {
    if (MODEL_ARG_FLAGS[key]) args[MODEL_ARG_FLAGS[key]] = value;
    else kwargs[snake(key)] = value;
  }
  if (Object.keys(kwargs).length > 0) args.model_kwargs = kwargs;
}

function data(recipe: Recipe, args: Record<string, unknown>, notes: string[]): void {
  const d = recipe.data;
  if (/^(synthetic|mnist|fashion-mnist)$/.test(d.dataset) || d.dataset.startsWith('cifar10:')) {
    notes.push(`data.dataset '${d.dataset}' is a nextnets built-in; give train.py an ImageFolder path (data_dir)`);
  } else {
    args.data_dir = d.dataset;
  }
  args.img_size = d.imageSize;
  if (d.evalSize !== undefined && d.evalSize !== d.imageSize) {
    notes.push(`data.evalSize ${d.evalSize}: train.py validates at img_size; evaluate at ${d.evalSize} with validate.py --img-size ${d.evalSize}`);
  }
  args.crop_pct = d.cropPct;
  args.interpolation = d.interpolation;
  args.train_interpolation = d.interpolation;
  if (d.mean) args.mean = d.mean;
  if (d.std) args.std = d.std;
  args.workers = d.workers;
  if (d.trainLimit !== undefined || d.evalLimit !== undefined) notes.push('data.trainLimit/evalLimit (first N samples) have no train.py flag');
  if (d.fallback !== undefined) notes.push('data.fallback has no train.py flag');
}

function augment(recipe: Recipe, args: Record<string, unknown>, notes: string[]): void {
  const a = recipe.augment;
  if (a.policy === 'none') args.no_aug = true;
  else if (a.policy !== 'rrc') notes.push(`augment.policy '${a.policy}' (no RandomResizedCrop) has no train.py flag; timm trains with RandomResizedCrop`);
  args.scale = a.scale;
  args.ratio = a.ratio;
  args.hflip = a.hflip;
  if (a.randAugment) args.aa = a.randAugment;
  args.color_jitter = a.colorJitter;
  args.reprob = a.reprob;
  args.remode = a.remode;
  args.recount = a.recount;
  args.mixup = a.mixup;
  args.cutmix = a.cutmix;
  args.mixup_prob = a.mixupProb;
  args.mixup_switch_prob = a.switchProb;
  args.smoothing = a.smoothing;
}

function optimizer(recipe: Recipe, args: Record<string, unknown>, notes: string[]): void {
  const o = recipe.optimizer;
  // timm: 'sgd' is SGD with Nesterov momentum, 'momentum' without
  args.opt = o.name === 'sgd' ? ((o.nesterov ?? false) ? 'sgd' : 'momentum') : o.name;
  if (o.lrBaseBatch !== undefined) {
    // timm: lr = lr_base · global batch / lr_base_size (linear, as the recipe; timm's default for adam* is sqrt)
    args.lr_base = o.lr;
    args.lr_base_size = o.lrBaseBatch;
    args.lr_base_scale = 'linear';
  } else {
    args.lr = o.lr;
  }
  args.weight_decay = o.weightDecay;
  if (recipe.train.l2Loss) notes.push('train.l2Loss: timm applies weight_decay in the optimizer (for rmsproptf the same gradient wd·v as the L2 term)');
  if (o.betas) args.opt_betas = o.betas;
  if (o.eps !== undefined) args.opt_eps = o.eps;
  if (o.momentum !== undefined) args.momentum = o.momentum;
  if (o.rho !== undefined && o.rho !== 0.9) notes.push(`optimizer.rho ${o.rho}: timm's rmsproptf uses alpha 0.9 (set it through opt_kwargs if needed)`);
  if (o.clipGrad !== undefined) args.clip_grad = o.clipGrad;
  if (o.layerDecay < 1) {
    args.layer_decay = o.layerDecay;
    if (o.layerDecayScheme) notes.push(`optimizer.layerDecayScheme '${o.layerDecayScheme}': timm groups layers by the model's own group_matcher`);
  }
}

function schedule(recipe: Recipe, args: Record<string, unknown>, notes: string[]): void {
  const s = recipe.schedule;
  args.epochs = s.epochs;
  args.sched_on_updates = true; // nextnets steps the schedule every iteration
  if (s.name === 'cosine') {
    args.sched = 'cosine';
  } else {
    // staircase decay every decayEpochs; a constant lr is the same scheduler with decay_rate 1
    args.sched = 'step';
    args.decay_epochs = s.name === 'exponential' ? s.decayEpochs : s.epochs;
    args.decay_rate = s.name === 'exponential' ? s.decayRate : 1;
  }
  args.warmup_epochs = s.warmupEpochs;
  args.warmup_lr = s.warmupLr;
  args.warmup_prefix = true; // the decay starts after warmup, as in nextnets
  args.min_lr = s.minLr;
  if ((s.warmupStyle ?? 'inclusive') === 'inclusive' && s.warmupEpochs > 0) {
    notes.push("schedule.warmupStyle inclusive: nextnets reaches the peak lr on the last warmup step, timm one step later");
  }
}

function rest(recipe: Recipe, args: Record<string, unknown>, notes: string[]): void {
  const t = recipe.train;
  args.batch_size = t.batchSize;
  if (t.evalBatchSize !== undefined) args.validation_batch_size = t.evalBatchSize;
  args.val_interval = t.evalEvery;
  if (t.maxSteps !== undefined) notes.push(`train.maxSteps ${t.maxSteps} has no train.py flag`);
  if (t.checkpointEvery > 0) notes.push(`train.checkpointEvery ${t.checkpointEvery}: train.py checkpoints per epoch (recovery_interval counts batches)`);
  args.seed = recipe.seed;
  if (recipe.ema) {
    args.model_ema = true;
    args.model_ema_decay = recipe.ema.decay;
    args.model_ema_warmup = recipe.ema.warmup === 'tf';
    if (!recipe.ema.evaluate) notes.push('ema.evaluate false: train.py always validates the EMA weights');
  }
  const p = recipe.progressive;
  if (p) {
    notes.push(
      `progressive learning (${p.stages} stages from ${p.ibase} px, RandAugment m${p.minMagnitude}→${p.maxMagnitude ?? '-'}, mixup ${p.mixupAlpha}, cutmix ${p.cutmixAlpha}` +
        `${p.dropout ? `, dropout ${p.dropout[0]}→${p.dropout[1]}` : ''}) has no train.py equivalent: timm trains every epoch at img_size`,
    );
  }
  if (recipe.finetune) {
    notes.push(`finetune.headInitStd ${recipe.finetune.headInitStd}: re-initialise the classifier yourself; pass the weights with --initial-checkpoint`);
    if (recipe.finetune.useEma) notes.push('finetune.useEma: pass the source run\'s ema.safetensors as --initial-checkpoint');
  }
}

/** The recipe as train.py arguments plus notes. Pre-training recipes are refused (train.py has no FCMAE). */
export function recipeToTimm(recipe: Recipe, source: string): TimmConfig {
  if (recipe.kind === 'pretrain') throw new CliError(`${source}: a pretrain (FCMAE) recipe has no timm train.py equivalent; export a train or finetune recipe`);
  const args: Record<string, unknown> = { model: recipe.model.name };
  const notes: string[] = [];
  modelArgs(recipe, args);
  data(recipe, args, notes);
  augment(recipe, args, notes);
  optimizer(recipe, args, notes);
  schedule(recipe, args, notes);
  rest(recipe, args, notes);
  const unknown = Object.keys(args).filter((key) => !TIMM_TRAIN_ARGS.has(key));
  if (unknown.length > 0) throw new Error(`recipeToTimm: '${unknown[0]}' is not a timm ${TIMM_VERSION} train.py argument`);
  return { args, notes };
}

/** The YAML text: a header naming the recipe and timm version, the notes as comments, then the arguments. */
export function timmYaml(recipe: Recipe, source: string): string {
  const { args, notes } = recipeToTimm(recipe, source);
  const header = [
    `# timm train.py --config for recipe ${recipe.name ?? source} (nextnets export-recipe --format timm)`,
    `# argument names of timm ${TIMM_VERSION} (commit ${TIMM_COMMIT.slice(0, 12)}) train.py`,
    ...notes.map((note) => `# note: ${note}`),
  ];
  return `${header.join('\n')}\n${toYaml(args, { flowCollectionPadding: false })}`;
}
