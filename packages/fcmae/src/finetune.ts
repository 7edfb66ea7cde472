import {
  createModel,
  loadStateDict,
  stateDict,
  truncNormal,
  type ImageClassifier,
  type ModelOverrides,
  type TensorData,
} from '@nextnets/core-layers';
import { writeSafetensorsAtomic } from '@nextnets/core-layers/node';
import type { Dataset, Transform } from '@nextnets/data-augment';
import { DataLoader } from '@nextnets/data-augment/node';
import { AdamW, LrScheduler, cosineWithWarmup, layerDecayLrScale, makeParamGroups, scaleLr, type ParamGroup } from '@nextnets/optim';
import { classificationTask } from '@nextnets/train';
import { minimalAugment, scheduleSteps } from './augment.js';
import type { FCMAE } from './fcmae.js';
import { runLoop, type EpochInfo, type StepInfo } from './run-trainer.js';

export interface ExportEncoderOptions {
  /** std of the fresh classifier weight (ConvNeXt V2 FCMAE; official fcmae.py fine-tuning: trunc_normal std 2e-5, bias 0). */
  headInitStd?: number;
}

/**
 * The FCMAE encoder as a timm `convnextv2_*` classifier checkpoint (PyTorch layouts): `encoder.` is stripped (the
 * official `remap_checkpoint_keys` + dropping decoder, `mask_token`, `proj`, `pred`), and the head the encoder never
 * had is created fresh: `head.norm` 1/0 and, for numClasses > 0, `head.fc.weight` [numClasses, C] ~
 * trunc_normal(std 2e-5), `head.fc.bias` 0 — the re-initialisation `main_finetune.py` applies after loading.
 */
export function exportEncoder(fcmae: FCMAE, numClasses: number, opts: ExportEncoderOptions = {}): Map<string, TensorData> {
  if (!Number.isInteger(numClasses) || numClasses < 0) throw new Error(`exportEncoder: numClasses must be an integer >= 0, got ${numClasses}`);
  const out = new Map<string, TensorData>(stateDict(fcmae.encoder));
  const c = fcmae.encoder.numFeatures;
  out.set('head.norm.weight', { shape: [c], data: new Float32Array(c).fill(1) });
  out.set('head.norm.bias', { shape: [c], data: new Float32Array(c) });
  if (numClasses > 0) {
    const std = opts.headInitStd ?? 2e-5;
    const weight = truncNormal([numClasses, c], std);
    out.set('head.fc.weight', { shape: [numClasses, c], data: weight.dataSync() as Float32Array });
    weight.dispose();
    out.set('head.fc.bias', { shape: [numClasses], data: new Float32Array(numClasses) });
  }
  return out;
}

/** Writes `exportEncoder(fcmae, numClasses)` as a `.safetensors` classifier checkpoint. */
export function saveEncoderCheckpoint(fcmae: FCMAE, path: string, numClasses: number, opts: ExportEncoderOptions = {}): void {
  writeSafetensorsAtomic(path, exportEncoder(fcmae, numClasses, opts), {
    format: 'pt',
    model: fcmae.encoder.modelName,
    source: 'fcmae',
  });
}

/**
 * Builds the encoder's classifier (`createModel(encoder name, {...encoder overrides, numClasses, ...extra})`) and
 * loads the exported checkpoint strictly.
 */
export function createFinetuneModel(
  fcmae: FCMAE,
  numClasses: number,
  extraOverrides: ModelOverrides = {},
  opts: ExportEncoderOptions = {},
): ImageClassifier {
  const model = createModel(fcmae.encoder.modelName, { ...fcmae.encoder.overrides, ...extraOverrides, numClasses });
  loadStateDict(model, exportEncoder(fcmae, numClasses, opts), { strict: true, source: `fcmae export of ${fcmae.encoder.modelName}` });
  return model;
}

export interface FinetuneGroupOptions {
  /** 0.05 (ConvNeXt V2 FCMAE; official fcmae.py fine-tuning). */
  weightDecay?: number;
  /** Layer-wise lr decay factor (atto/tiny 0.9; 1 = off). */
  layerDecay?: number;
  /** The model's layer-decay grouping ('single' = one id per block, ConvNeXt-V2). */
  scheme?: 'single' | 'group';
}

/**
 * Fine-tuning parameter groups (ConvNeXt V2 FCMAE; official fcmae.py): no weight decay for the model's `noWeightDecay` parameters (1-D, `.bias`,
 * GRN), lr scale decay^(L+1−id) from `layerDecayGroups(scheme)`.
 */
export function finetuneParamGroups(model: ImageClassifier, opts: FinetuneGroupOptions = {}): ParamGroup[] {
  const layerDecay = opts.layerDecay ?? 0.9;
  const groups = model.layerDecayGroups(opts.scheme ?? 'single');
  if (!groups && layerDecay !== 1) throw new Error('finetuneParamGroups: the model defines no layer-decay groups; use layerDecay 1');
  const params = model.namedParameters().map(([name, p]) => ({ name, variable: p.variable }));
  const noDecay = new Set(params.filter(({ name }) => model.noWeightDecay(name)).map(({ name }) => name));
  return makeParamGroups(params, {
    weightDecay: opts.weightDecay ?? 0.05,
    noDecay: (name) => noDecay.has(name),
    lrScale: groups ? layerDecayLrScale(groups.layerId, groups.numLayers, layerDecay) : undefined,
  });
}

export interface FinetuneOptions extends FinetuneGroupOptions {
  model: ImageClassifier;
  dataset: Dataset;
  epochs: number;
  batchSize: number;
  inputSize?: number;
  /** Base lr, lr = blr·batch/256 (ConvNeXt V2 FCMAE; official fcmae.py default 5e-4). */
  blr?: number;
  lr?: number;
  /** 1e-6. */
  minLr?: number;
  /** Warmup epochs (default 0 here; the official default 20 needs long runs). */
  warmupEpochs?: number;
  /** 0.1. */
  labelSmoothing?: number;
  /** Training transform (default the minimal RandomResizedCrop(scale 0.08–1) + flip + normalize). */
  transform?: Transform;
  seed?: number;
  workers?: number;
  maxSteps?: number;
  onStep?: (info: StepInfo) => void | Promise<void>;
  onEpoch?: (info: EpochInfo) => void | Promise<void>;
}

/**
 * Fine-tuning on @nextnets/train's Trainer (ConvNeXt V2 FCMAE; official fcmae.py `main_finetune.py` defaults): AdamW (0.9, 0.999), eps 1e-8, wd 0.05 on weights
 * only, layer decay, lr = blr·batch/256, per-iteration warmup (ConvNeXt linspace style) + cosine to minLr, label-smoothed
 * cross-entropy. Returns the loss of every step. The full recipe's RandAugment/mixup/EMA belong to the CLI.
 */
export async function finetune(opts: FinetuneOptions): Promise<number[]> {
  const { model, batchSize } = opts;
  const inputSize = opts.inputSize ?? 224;
  const seed = opts.seed ?? 0;
  const loader = new DataLoader({
    dataset: opts.dataset,
    batchSize,
    seed,
    dropLast: true,
    workers: opts.workers ?? 0,
    transform: opts.transform ?? minimalAugment({ size: inputSize, scale: [0.08, 1] }),
  });
  const { totalSteps, warmupSteps } = scheduleSteps('finetune', loader.length, opts.epochs, opts.warmupEpochs ?? 0);
  const lr = opts.lr ?? scaleLr(opts.blr ?? 5e-4, batchSize);
  const scheduler = new LrScheduler(cosineWithWarmup({ baseLr: lr, totalSteps, warmupSteps, minLr: opts.minLr ?? 1e-6 }));
  const optimizer = new AdamW(finetuneParamGroups(model, opts), { betas: [0.9, 0.999], eps: 1e-8, weightDecay: opts.weightDecay ?? 0.05 });
  const labelSmoothing = opts.labelSmoothing ?? 0.1;
  try {
    return await runLoop({
      task: classificationTask(model, { numClasses: Math.max(1, model.numClasses), smoothing: labelSmoothing }),
      optimizer,
      scheduler,
      train: loader,
      epochs: opts.epochs,
      maxSteps: opts.maxSteps,
      seed,
      onStep: opts.onStep,
      onEpoch: opts.onEpoch,
    });
  } finally {
    await loader.close();
    optimizer.dispose();
  }
}
