/**
 * timm's default pretrained tag of every registered nextnets model that timm publishes weights for, with the
 * preprocessing of that tag (timm `pretrained_cfg`: input size, crop_pct, interpolation, mean/std). The default tag
 * is the one `timm.create_model(name, pretrained=True)` picks: the first tag with weights in the model file's
 * `default_cfgs` (timm/models/{convnext,inception_next,byobnet,efficientnet}.py, timm aa4b5850). Every tag here is
 * an ImageNet-1k classifier (1000 classes) hosted as `timm/<name>.<tag>` on the Hugging Face hub.
 */
import type { PretrainedCfg } from '@nextnets/core-layers';

export interface PretrainedTag {
  /** Hub model id, e.g. `timm/convnext_atto.d2_in1k`. */
  hubId: string;
  /** timm's `<model>.<tag>` name, e.g. `convnext_atto.d2_in1k`. */
  name: string;
  numClasses: number;
  /** Which label set the classifier predicts. */
  labels: 'imagenet-1k';
  pretrainedCfg: PretrainedCfg;
}

type Interp = PretrainedCfg['interpolation'];
type TagSpec = [tag: string, size: number, cropPct: number, interpolation: Interp, inception?: true];

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
// timm IMAGENET_INCEPTION_MEAN / _STD: the TensorFlow-trained EfficientNetV2 weights
const INCEPTION_MEAN: [number, number, number] = [0.5, 0.5, 0.5];
const INCEPTION_STD: [number, number, number] = [0.5, 0.5, 0.5];
const I = true as const;

/** `null`: timm registers the architecture without weights, or does not have it at all. */
const TAGS: Record<string, TagSpec | null> = {
  convnext_atto: ['d2_in1k', 224, 0.875, 'bicubic'],
  convnext_femto: ['d1_in1k', 224, 0.875, 'bicubic'],
  convnext_pico: ['d1_in1k', 224, 0.875, 'bicubic'],
  convnext_nano: ['in12k_ft_in1k', 224, 0.95, 'bicubic'],
  convnext_tiny: ['in12k_ft_in1k', 224, 0.95, 'bicubic'],
  convnext_small: ['in12k_ft_in1k', 224, 0.95, 'bicubic'],
  convnext_base: ['fb_in22k_ft_in1k', 224, 0.875, 'bicubic'],
  convnext_large: ['fb_in22k_ft_in1k', 224, 0.875, 'bicubic'],
  convnext_xlarge: ['fb_in22k_ft_in1k', 224, 0.875, 'bicubic'],
  convnextv2_atto: ['fcmae_ft_in1k', 224, 0.875, 'bicubic'],
  convnextv2_femto: ['fcmae_ft_in1k', 224, 0.875, 'bicubic'],
  convnextv2_pico: ['fcmae_ft_in1k', 224, 0.875, 'bicubic'],
  convnextv2_nano: ['fcmae_ft_in22k_in1k', 224, 0.875, 'bicubic'],
  convnextv2_tiny: ['fcmae_ft_in22k_in1k', 224, 0.875, 'bicubic'],
  convnextv2_small: null, // registered in timm without weights
  convnextv2_base: ['fcmae_ft_in22k_in1k', 224, 0.875, 'bicubic'],
  convnextv2_large: ['fcmae_ft_in22k_in1k', 224, 0.875, 'bicubic'],
  convnextv2_huge: ['fcmae_ft_in22k_in1k_384', 384, 1.0, 'bicubic'],
  inception_next_atto: ['sail_in1k', 224, 0.875, 'bicubic'],
  inception_next_tiny: ['sail_in1k', 224, 0.875, 'bicubic'],
  inception_next_small: ['sail_in1k', 224, 0.875, 'bicubic'],
  inception_next_base: ['sail_in1k', 224, 0.95, 'bicubic'],
  repvgg_a0: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_a1: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_a2: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_b0: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_b1: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_b1g2: null, // not in timm (only the g4 variants are)
  repvgg_b1g4: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_b2: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_b2g2: null, // not in timm
  repvgg_b2g4: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_b3: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_b3g2: null, // not in timm
  repvgg_b3g4: ['rvgg_in1k', 224, 0.875, 'bilinear'],
  repvgg_d2se: ['rvgg_in1k', 320, 1.0, 'bilinear'],
  efficientnetv2_rw_t: ['ra2_in1k', 224, 1.0, 'bicubic'],
  efficientnetv2_s: null, // registered in timm without weights
  efficientnetv2_m: null, // registered in timm without weights
  efficientnetv2_l: null, // registered in timm without weights
  efficientnetv2_xl: null, // registered in timm without weights
  tf_efficientnetv2_b0: ['in1k', 192, 0.875, 'bicubic'],
  tf_efficientnetv2_b1: ['in1k', 192, 0.882, 'bicubic'],
  tf_efficientnetv2_b2: ['in1k', 208, 0.89, 'bicubic'],
  tf_efficientnetv2_b3: ['in21k_ft_in1k', 240, 0.9, 'bicubic', I],
  tf_efficientnetv2_s: ['in21k_ft_in1k', 300, 1.0, 'bicubic', I],
  tf_efficientnetv2_m: ['in21k_ft_in1k', 384, 1.0, 'bicubic', I],
  tf_efficientnetv2_l: ['in21k_ft_in1k', 384, 1.0, 'bicubic', I],
  tf_efficientnetv2_xl: ['in21k_ft_in1k', 384, 1.0, 'bicubic', I],
};

function toTag(model: string, [tag, size, cropPct, interpolation, inception]: TagSpec): PretrainedTag {
  const name = `${model}.${tag}`;
  return {
    hubId: `timm/${name}`,
    name,
    numClasses: 1000,
    labels: 'imagenet-1k',
    pretrainedCfg: {
      inputSize: [3, size, size],
      cropPct,
      interpolation,
      mean: inception ? INCEPTION_MEAN : IMAGENET_MEAN,
      std: inception ? INCEPTION_STD : IMAGENET_STD,
    },
  };
}

/** timm's default pretrained tag of `model`, or undefined when no weights are published for it. */
export function findDefaultTag(model: string): PretrainedTag | undefined {
  const spec = TAGS[model];
  return spec ? toTag(model, spec) : undefined;
}

/** timm's default pretrained tag of `model`; a one-line error when there is none. */
export function defaultPretrainedTag(model: string): PretrainedTag {
  const found = findDefaultTag(model);
  if (found) return found;
  const why = model in TAGS ? 'timm publishes no pretrained weights for it' : 'it is not a timm model (RepLKNet and MobileNeXt are not in timm)';
  throw new Error(`no pretrained weights published for ${model}: ${why}; pass a hub id, URL or .safetensors path instead`);
}

/** The tag of a hub id when it is one of the default tags above (`timm/convnext_atto.d2_in1k`). */
export function tagForHubId(hubId: string): PretrainedTag | undefined {
  const match = /^timm\/([^.]+)\.(.+)$/.exec(hubId);
  if (!match) return undefined;
  const tag = findDefaultTag(match[1]);
  return tag && tag.hubId === hubId ? tag : undefined;
}

/** Every model name the table knows, with its default tag or null. */
export function listDefaultTags(): [model: string, tag: PretrainedTag | null][] {
  return Object.entries(TAGS).map(([model, spec]) => [model, spec ? toTag(model, spec) : null]);
}
