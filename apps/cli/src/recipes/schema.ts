/**
 * The recipe format: one YAML file per training setup, validated strictly (unknown keys are errors).
 * Sections mirror the knobs of timm `train.py` and the official ConvNeXt/EfficientNetV2/FCMAE recipes (the papers' training appendices).
 */
import { z } from 'zod';

const positive = z.number().positive();
const nonNegative = z.number().min(0);
const fraction = z.number().min(0).max(1);
const interpolation = z.enum(['bilinear', 'bicubic', 'nearest']);

export const modelSection = z
  .object({
    /** Registered timm name (`nextnets models`). */
    name: z.string().min(1),
    /** Overrides given to the model factory (timm kwargs in camelCase: numClasses, dropPathRate, depths, …). */
    args: z.record(z.unknown()).default({}),
  })
  .strict();

export const dataSection = z
  .object({
    /** `fashion-mnist`, `synthetic`, `cifar10:PATH`, or an ImageFolder path (with `train/` and `val/` sub-folders, or split by valFraction). */
    dataset: z.string().min(1).default('synthetic'),
    /**
     * `synthetic`: when `dataset` is fashion-mnist or mnist and its files are absent, use the generated shapes instead
     * (syntheticCount/syntheticClasses at imageSize, with the model's channel count) and print a one-line notice.
     * Resolved when a run starts from a recipe (config.yaml records the dataset used); `--data` turns it off.
     */
    fallback: z.enum(['synthetic']).optional(),
    /** Training image size (RandomResizedCrop output); evaluation uses evalSize (default: the same). */
    imageSize: z.number().int().min(8).default(224),
    evalSize: z.number().int().min(8).optional(),
    /** Eval resize = imageSize / cropPct then center crop (timm crop_pct; 1 = no crop). */
    cropPct: z.number().positive().max(1).default(0.875),
    interpolation: interpolation.default('bicubic'),
    mean: z.array(z.number().finite()).min(1).max(3).optional(),
    /** Per-channel divisors of the normalisation: a 0 would turn every image into inf/NaN. */
    std: z.array(z.number().finite().positive('std values must be > 0 (a 0 divides every pixel by zero)')).min(1).max(3).optional(),
    /** Held-out fraction when the dataset has no separate test/val split (ImageFolder without val/, synthetic). */
    valFraction: fraction.default(0.1),
    /** Use only the first N samples of the training / evaluation split (quick experiments). */
    trainLimit: z.number().int().positive().optional(),
    evalLimit: z.number().int().positive().optional(),
    /** Decode/augment worker threads (0 = in the training thread). */
    workers: z.number().int().min(0).default(1),
    /** Synthetic dataset shape: samples, classes (2..6), image side. */
    syntheticCount: z.number().int().positive().default(512),
    syntheticClasses: z.number().int().min(2).max(6).default(4),
  })
  .strict();

export const augmentSection = z
  .object({
    /**
     * `rrc`: RandomResizedCrop + flip + RandAugment/ColorJitter + RandomErasing (timm); `flip`: a horizontal flip, then the
     * eval transform (small images such as Fashion-MNIST); `crop`: pad by `cropPadding` pixels (value 0) and crop back
     * to the stored image size at a random offset (torchvision `RandomCrop(size, padding)`, the CIFAR recipe), then the
     * flip and the eval transform; `none`: the eval transform only. `rrc`, `flip` and `crop` end with RandomErasing
     * when `reprob` > 0.
     */
    policy: z.enum(['rrc', 'flip', 'crop', 'none']).default('rrc'),
    /** Padding of the `crop` policy in pixels of the stored image (4: the standard CIFAR-10 `RandomCrop(32, padding=4)`). */
    cropPadding: z.number().int().min(0).default(4),
    scale: z.tuple([positive, positive]).default([0.08, 1]),
    ratio: z.tuple([positive, positive]).default([3 / 4, 4 / 3]),
    hflip: fraction.default(0.5),
    /** timm RandAugment string, e.g. `rand-m9-mstd0.5-inc1`; null/absent = none. */
    randAugment: z.string().nullable().default(null),
    colorJitter: nonNegative.default(0),
    reprob: fraction.default(0),
    remode: z.enum(['pixel', 'const', 'rand']).default('pixel'),
    recount: z.number().int().positive().default(1),
    mixup: nonNegative.default(0),
    cutmix: nonNegative.default(0),
    mixupProb: fraction.default(1),
    switchProb: fraction.default(0.5),
    /** Label smoothing (folded into mixup targets when mixup/cutmix is on). */
    smoothing: z.number().min(0).lt(1).default(0),
  })
  .strict();

export const optimizerSection = z
  .object({
    name: z.enum(['adamw', 'sgd', 'rmsproptf']).default('adamw'),
    /** Base lr at `lrBaseBatch`; the lr used is lr · batchSize / lrBaseBatch (linear scaling rule). */
    lr: positive,
    lrBaseBatch: z.number().int().positive().optional(),
    weightDecay: nonNegative.default(0.05),
    betas: z.tuple([fraction, fraction]).optional(),
    eps: positive.optional(),
    momentum: nonNegative.optional(),
    nesterov: z.boolean().optional(),
    /** RMSPropTF decay of the mean square. */
    rho: fraction.optional(),
    /** Layer-wise lr decay factor (1 = off) and the model's grouping scheme (`single`/`group` for ConvNeXt). */
    layerDecay: z.number().gt(0).max(1).default(1),
    layerDecayScheme: z.string().optional(),
    /** Clip gradients to this global L2 norm. */
    clipGrad: positive.optional(),
  })
  .strict();

export const scheduleSection = z
  .object({
    name: z.enum(['cosine', 'exponential', 'constant']).default('cosine'),
    epochs: z.number().int().positive(),
    warmupEpochs: nonNegative.default(0),
    warmupLr: nonNegative.default(0),
    /** Linear warmup reaching the lr at the last warmup step (`inclusive`, ConvNeXt) or one step after (`exclusive`, FCMAE/EfficientNetV2). */
    warmupStyle: z.enum(['inclusive', 'exclusive']).optional(),
    minLr: nonNegative.default(0),
    /** Exponential decay: multiply by decayRate every decayEpochs (EfficientNetV2: 0.97 every 2.4). */
    decayEpochs: positive.default(2.4),
    decayRate: positive.default(0.97),
  })
  .strict();

export const progressiveSection = z
  .object({
    /** EfficientNetV2 progressive learning (EfficientNetV2 paper, Section 4): stages, base size, final RandAugment magnitude, mixup/cutmix alpha. */
    stages: z.number().int().positive().default(4),
    ibase: z.number().int().positive().default(128),
    minMagnitude: nonNegative.default(5),
    maxMagnitude: nonNegative.optional(),
    mixupAlpha: nonNegative.default(0),
    cutmixAlpha: nonNegative.default(0),
    /** [first, last] classifier dropout, raised with the image size (the paper's ramp, e.g. [0.1, 0.3] for EfficientNetV2-S). */
    dropout: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).optional(),
  })
  .strict();

export const emaSection = z
  .object({
    decay: z.number().gt(0).lt(1).default(0.9999),
    warmup: z.enum(['none', 'tf']).default('none'),
    /** Also evaluate the EMA weights each epoch. */
    evaluate: z.boolean().default(true),
  })
  .strict();

export const trainSection = z
  .object({
    batchSize: z.number().int().positive(),
    evalBatchSize: z.number().int().positive().optional(),
    /** Stop after this many optimizer steps in total (smoke tests); the schedule still spans all epochs. */
    maxSteps: z.number().int().positive().optional(),
    /** Also checkpoint `last` every N optimizer steps (0 = only at epoch ends). */
    checkpointEvery: z.number().int().min(0).default(0),
    /** Evaluate every N epochs (the last epoch is always evaluated). */
    evalEvery: z.number().int().positive().default(1),
    /** EfficientNetV2 weight decay as an L2 loss term (wd·Σv²/2) instead of the optimizer's own decay. */
    l2Loss: z.boolean().default(false),
  })
  .strict();

export const pretrainSection = z
  .object({
    maskRatio: z.number().gt(0).lt(1).default(0.6),
    patchSize: z.number().int().positive().default(32),
    normPixLoss: z.boolean().default(true),
    decoderDepth: z.number().int().min(0).default(1),
    decoderEmbedDim: z.number().int().positive().default(512),
  })
  .strict();

export const finetuneSection = z
  .object({
    /** Re-initialise the classifier after loading (ConvNeXt-V2 fine-tune: trunc normal std 2e-5, bias 0). */
    headInitStd: positive.default(2e-5),
    /** Load the EMA weights of the source checkpoint when it has them. */
    useEma: z.boolean().default(false),
  })
  .strict();

/** A run name becomes the folder runs/<name>: one path segment, never `..` or a separator that would leave runs/. */
const runName = z
  .string()
  .min(1)
  .refine((name) => !/[/\\]/.test(name) && name !== '.' && name !== '..' && !name.includes('\0'), {
    message: 'must be a plain folder name (no /, \\, . or ..)',
  });

export const recipeSchema = z
  .object({
    name: runName.optional(),
    description: z.string().optional(),
    kind: z.enum(['train', 'pretrain', 'finetune']).default('train'),
    seed: z.number().int().min(0).default(0),
    model: modelSection,
    data: dataSection.default({}),
    augment: augmentSection.default({}),
    optimizer: optimizerSection,
    schedule: scheduleSection,
    progressive: progressiveSection.optional(),
    ema: emaSection.optional(),
    train: trainSection,
    pretrain: pretrainSection.optional(),
    finetune: finetuneSection.optional(),
  })
  .strict();

/** A validated recipe with every default filled in. */
export type Recipe = z.infer<typeof recipeSchema>;
/** What a YAML file may contain (defaults optional). */
export type RecipeInput = z.input<typeof recipeSchema>;
