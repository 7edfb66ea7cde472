/**
 * timm's `config.json` in a hub model repository (written by timm's `push_to_hf_hub`): the architecture, the number
 * of classes, the tag's `pretrained_cfg` (input size, crop_pct, interpolation, mean/std) and, for some tags, the
 * class names (`label_names`). Only what nextnets uses is read; anything malformed is ignored.
 */
import type { PretrainedCfg } from '@nextnets/core-layers';

export interface TimmHubConfig {
  architecture?: string;
  numClasses?: number;
  pretrainedCfg?: PretrainedCfg;
  /** Class names, one per output of the classifier. */
  labels?: string[];
}

const INTERPOLATIONS = new Set(['bilinear', 'bicubic', 'nearest']);

function triple(value: unknown): [number, number, number] | undefined {
  return Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number' && Number.isFinite(v))
    ? (value as [number, number, number])
    : undefined;
}

/** Reads a timm `config.json` text; undefined when it is not JSON or not an object. */
export function parseTimmConfig(text: string): TimmHubConfig | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const root = json as Record<string, unknown>;
  const out: TimmHubConfig = {};
  if (typeof root.architecture === 'string') out.architecture = root.architecture;
  if (Number.isInteger(root.num_classes)) out.numClasses = root.num_classes as number;
  const cfg = root.pretrained_cfg;
  if (typeof cfg === 'object' && cfg !== null) {
    const c = cfg as Record<string, unknown>;
    const inputSize = triple(c.input_size);
    const mean = triple(c.mean);
    const std = triple(c.std);
    const cropPct = typeof c.crop_pct === 'number' && c.crop_pct > 0 && c.crop_pct <= 1 ? c.crop_pct : undefined;
    const interpolation = typeof c.interpolation === 'string' && INTERPOLATIONS.has(c.interpolation) ? (c.interpolation as PretrainedCfg['interpolation']) : undefined;
    if (inputSize && mean && std && cropPct !== undefined && interpolation) out.pretrainedCfg = { inputSize, mean, std, cropPct, interpolation };
    if (out.numClasses === undefined && Number.isInteger(c.num_classes)) out.numClasses = c.num_classes as number;
  }
  const labels = root.label_names;
  if (Array.isArray(labels) && labels.every((l) => typeof l === 'string')) out.labels = labels as string[];
  return out;
}
