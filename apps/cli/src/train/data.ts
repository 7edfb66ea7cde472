/** Turns `--data` and the recipe's data/augment sections into datasets, transforms and loaders. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildEvalTransform,
  buildTrainTransform,
  compose,
  horizontalFlip,
  parseRandAugmentConfig,
  randomCropPad,
  randomErasing,
  splitDataset,
  Subset,
  SyntheticShapes,
  toRgbDataset,
  type Dataset,
  type MixupCutmixOptions,
  type Transform,
} from '@nextnets/data-augment';
import {
  Cifar10,
  DataLoader,
  DEFAULT_FASHION_MNIST_DIR,
  describeSkipped,
  DEFAULT_MNIST_DIR,
  FashionMNIST,
  IdxDataset,
  ImageFolder,
  MNIST,
} from '@nextnets/data-augment/node';
import { CliError } from '../cli/errors.js';
import type { Recipe } from '../recipes/schema.js';

export interface DataSplits {
  train: Dataset;
  /** Held-out split used for evaluation (the test split when the dataset has one). */
  eval: Dataset;
  /** 'test' when `eval` is an official test split, else 'val'. */
  evalName: 'test' | 'val';
  classes: string[];
  /** Channels of the stored images (1 for MNIST-style data). */
  channels: number;
  /** Lines about files the folder scan skipped (unreadable, not images), for the user. */
  notes?: string[];
}

function limit(dataset: Dataset, n: number | undefined): Dataset {
  if (n === undefined || n >= dataset.length) return dataset;
  return new Subset(dataset, Array.from({ length: n }, (_, i) => i));
}

function splitSingle(dataset: Dataset, recipe: Recipe): { train: Dataset; eval: Dataset } {
  const { train, val } = splitDataset(dataset, recipe.data.valFraction, recipe.seed);
  return { train, eval: val };
}

/** `[name, argument]` of a `--data` value such as `cifar10:/data/cifar-10-batches-bin`. */
function parseSpec(spec: string): [string, string | undefined] {
  const match = /^(fashion-mnist|mnist|cifar10|synthetic)(?::(.*))?$/.exec(spec);
  return match ? [match[1], match[2]] : ['folder', spec];
}

const IDX_HINT: Record<string, string> = { 'fashion-mnist': ' (Debian: apt-get install dataset-fashion-mnist)', mnist: '' };

/**
 * Applies `data.fallback`: a recipe on fashion-mnist/mnist whose files are absent, with fallback `synthetic`, becomes a
 * recipe on the synthetic set, plus a one-line notice saying so. The returned recipe has no fallback left, so the run's
 * config.yaml (and a later --resume) names the dataset actually used.
 */
export function applyDataFallback(recipe: Recipe): { recipe: Recipe; notice?: string } {
  if (recipe.data.fallback === undefined) return { recipe };
  const next = structuredClone(recipe);
  delete next.data.fallback;
  const [kind, arg] = parseSpec(recipe.data.dataset);
  if (kind !== 'fashion-mnist' && kind !== 'mnist') return { recipe: next };
  const root = arg ?? (kind === 'mnist' ? DEFAULT_MNIST_DIR : DEFAULT_FASHION_MNIST_DIR);
  if (IdxDataset.exists(root)) return { recipe: next };
  next.data.dataset = 'synthetic';
  const notice =
    `note: ${kind} not found in ${root}${IDX_HINT[kind]}; using the synthetic shapes set instead ` +
    `(${next.data.syntheticCount} images, ${next.data.syntheticClasses} classes; recipe data.fallback)`;
  return { recipe: next, notice };
}

/** An ImageFolder with its scan errors (an empty class, a single class, an unknown class) as one CLI line. */
function openFolder(root: string, classes?: string[]): ImageFolder {
  try {
    return new ImageFolder(root, { classes });
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0]);
  }
}

function skippedNotes(folders: ImageFolder[]): string[] {
  return folders.flatMap((f) => describeSkipped(f.skipped, f.root) ?? []);
}

/**
 * `purpose: 'eval'` (the eval command) evaluates a plain ImageFolder path as a whole instead of splitting it; the
 * other datasets give the same held-out split as training. Synthetic images get the model's channel count (1 or 3).
 */
function openDatasets(recipe: Recipe, purpose: 'train' | 'eval', modelChannels: number): Omit<DataSplits, 'classes'> {
  const [kind, arg] = parseSpec(recipe.data.dataset);
  switch (kind) {
    case 'synthetic': {
      const channels = modelChannels === 1 ? 1 : 3;
      const all = new SyntheticShapes({
        count: recipe.data.syntheticCount,
        numClasses: recipe.data.syntheticClasses,
        size: recipe.data.imageSize,
        seed: recipe.seed,
        channels,
      });
      return { ...splitSingle(all, recipe), evalName: 'val', channels };
    }
    case 'fashion-mnist':
    case 'mnist': {
      const open = kind === 'mnist' ? MNIST : FashionMNIST;
      try {
        return { train: open({ split: 'train', root: arg }), eval: open({ split: 'test', root: arg }), evalName: 'test', channels: 1 };
      } catch (error) {
        throw new CliError(`cannot open ${kind}: ${(error as Error).message}${IDX_HINT[kind]}`);
      }
    }
    case 'cifar10': {
      if (!arg) throw new CliError('cifar10 needs a path: --data cifar10:/path/to/cifar-10-batches-bin');
      return { train: Cifar10(arg, { split: 'train' }), eval: Cifar10(arg, { split: 'test' }), evalName: 'test', channels: 3 };
    }
    default: {
      const root = recipe.data.dataset;
      if (!existsSync(root) || !statSync(root).isDirectory()) {
        throw new CliError(`dataset folder not found: ${root} (expected an ImageFolder path, fashion-mnist, mnist, cifar10:PATH or synthetic)`);
      }
      const trainDir = join(root, 'train');
      const valDir = ['val', 'validation', 'test'].map((d) => join(root, d)).find((d) => existsSync(d));
      if (existsSync(trainDir) && valDir) {
        const train = openFolder(trainDir);
        // val is labelled by class name against train's classes: a class train lacks is an error naming it
        const val = openFolder(valDir, train.classes);
        return { train, eval: val, evalName: 'val', channels: 3, notes: skippedNotes([train, val]) };
      }
      const folder = openFolder(root);
      const notes = skippedNotes([folder]);
      if (purpose === 'eval') return { train: folder, eval: folder, evalName: 'val', channels: 3, notes };
      return { ...splitSingle(folder, recipe), evalName: 'val', channels: 3, notes };
    }
  }
}

/** Opens the datasets named by the recipe; grayscale data is replicated to RGB when the model wants 3 channels. */
export function openData(recipe: Recipe, modelChannels: number, purpose: 'train' | 'eval' = 'train'): DataSplits {
  const opened = openDatasets(recipe, purpose, modelChannels);
  let { train, eval: evalSet } = opened;
  let channels = opened.channels;
  if (channels === 1 && modelChannels === 3) {
    train = toRgbDataset(train);
    evalSet = toRgbDataset(evalSet);
    channels = 3;
  } else if (channels !== modelChannels) {
    throw new CliError(`dataset '${recipe.data.dataset}' has ${channels}-channel images but the model expects inChans ${modelChannels}`);
  }
  return {
    train: limit(train, recipe.data.trainLimit),
    eval: limit(evalSet, recipe.data.evalLimit),
    evalName: opened.evalName,
    classes: train.classes,
    channels,
    notes: opened.notes,
  };
}

/** The recipe's normalisation for `channels` (a single value repeated), undefined = ImageNet. */
export function meanStd(recipe: Recipe, channels: number): { mean?: number[]; std?: number[] } {
  const fit = (v: number[] | undefined) => (v && v.length === 1 && channels > 1 ? Array(channels).fill(v[0]) : v);
  return { mean: fit(recipe.data.mean), std: fit(recipe.data.std) };
}

/** Training transform for one image size and RandAugment magnitude (progressive learning changes both per stage). */
export function trainTransform(recipe: Recipe, channels: number, size = recipe.data.imageSize, magnitude?: number): Transform {
  const a = recipe.augment;
  if (a.policy === 'none') return evalTransform(recipe, channels, size);
  if (a.policy === 'flip' || a.policy === 'crop') {
    const crop = a.policy === 'crop' ? [randomCropPad({ padding: a.cropPadding })] : [];
    // timm order: erasing acts on the normalised image, after the eval transform's normalize
    const erase = a.reprob > 0 ? [randomErasing({ probability: a.reprob, mode: a.remode, count: a.recount })] : [];
    return compose([...crop, horizontalFlip(a.hflip), evalTransform(recipe, channels, size), ...erase]);
  }
  let autoAugment = a.randAugment ? parseRandAugmentConfig(a.randAugment) : undefined;
  if (autoAugment && magnitude !== undefined) autoAugment = { ...autoAugment, magnitude };
  return buildTrainTransform({
    size,
    scale: a.scale,
    ratio: a.ratio,
    interpolation: recipe.data.interpolation,
    hflip: a.hflip,
    autoAugment,
    colorJitter: a.colorJitter,
    reprob: a.reprob,
    remode: a.remode,
    recount: a.recount,
    ...meanStd(recipe, channels),
  });
}

/** Evaluation transform: resize by cropPct, center crop, normalise. */
export function evalTransform(recipe: Recipe, channels: number, size = recipe.data.evalSize ?? recipe.data.imageSize): Transform {
  return buildEvalTransform({ size, cropPct: recipe.data.cropPct, interpolation: recipe.data.interpolation, ...meanStd(recipe, channels) });
}

/** Batch-level Mixup/CutMix options, or undefined when both alphas are 0. */
export function mixupOptions(recipe: Recipe, numClasses: number, alphas?: { mixup: number; cutmix: number }): MixupCutmixOptions | undefined {
  const mixupAlpha = alphas?.mixup ?? recipe.augment.mixup;
  const cutmixAlpha = alphas?.cutmix ?? recipe.augment.cutmix;
  if (mixupAlpha <= 0 && cutmixAlpha <= 0) return undefined;
  return {
    mixupAlpha,
    cutmixAlpha,
    prob: recipe.augment.mixupProb,
    switchProb: recipe.augment.switchProb,
    labelSmoothing: recipe.augment.smoothing,
    numClasses,
  };
}

export function trainLoader(recipe: Recipe, data: DataSplits): DataLoader {
  return new DataLoader({
    dataset: data.train,
    batchSize: recipe.train.batchSize,
    shuffle: true,
    seed: recipe.seed,
    dropLast: data.train.length > recipe.train.batchSize,
    transform: trainTransform(recipe, data.channels),
    mixup: mixupOptions(recipe, data.classes.length),
    workers: recipe.data.workers,
  });
}

export function evalLoader(recipe: Recipe, data: DataSplits, dataset: Dataset = data.eval): DataLoader {
  return new DataLoader({
    dataset,
    batchSize: recipe.train.evalBatchSize ?? recipe.train.batchSize * 2,
    shuffle: false,
    seed: recipe.seed,
    transform: evalTransform(recipe, data.channels),
    workers: recipe.data.workers,
  });
}
