/**
 * Where a command's weights come from: `--checkpoint PATH` (a .safetensors file or a run folder) or `--pretrained
 * [REF]` (a hub id[@revision], a URL or a local file through @nextnets/hub; without REF the model's default timm tag).
 */
import type { PretrainedCfg, RawTensor } from '@nextnets/core-layers';
import { parseSafetensors } from '@nextnets/core-layers';
import {
  defaultPretrainedTag,
  fetchWeightsNode,
  hubSettings,
  parseRef,
  parseRefNode,
  pretrainedLabels,
  tagForHubId,
  type PretrainedRef,
  type PretrainedTag,
  type TimmHubConfig,
} from '@nextnets/hub/node';
import { getModelEntry } from '@nextnets/core-layers';
import { DownloadBar } from '../cli/download-bar.js';
import { CliError, oneLine } from '../cli/errors.js';
import { locateCheckpoint, readCheckpoint, type CheckpointFiles } from './checkpoint-files.js';

export interface PretrainedWeights {
  tensors: Map<string, RawTensor>;
  /** `timm/x@main (<cache path>)`, a URL or a path. */
  source: string;
  /** The timm tag when the reference is a model's default tag. */
  tag?: PretrainedTag;
  /** The model the reference implies (`timm/<model>.<tag>` of a registered model). */
  model?: string;
  /** Whether the weights come from the hub or a default tag (a 1000-class classifier then predicts ImageNet-1k). */
  fromHub: boolean;
  /** The repository's timm config.json (preprocessing, class names), when it has one. */
  config?: TimmHubConfig;
}

/** The registered model a `timm/<model>.<tag>` id names, if any. */
function modelOfRef(ref: PretrainedRef): string | undefined {
  if (ref.kind !== 'hub') return undefined;
  const match = /^timm\/([^.]+)\./.exec(ref.repo);
  if (!match) return undefined;
  try {
    return getModelEntry(match[1]).name;
  } catch {
    return undefined;
  }
}

/** Downloads (with a progress bar) or takes from the cache the weights `ref` names; one-line errors. */
export async function fetchPretrained(ref: string | true, modelName: string | undefined): Promise<PretrainedWeights> {
  const bar = new DownloadBar();
  try {
    let parsed: PretrainedRef;
    let tag: PretrainedTag | undefined;
    if (ref === true) {
      if (!modelName) throw new CliError('--pretrained without a reference needs --model NAME (its default timm tag is used)');
      tag = defaultPretrainedTag(modelName);
      parsed = parseRef(tag.hubId);
    } else {
      parsed = parseRefNode(ref, hubSettings(process.env).endpoint);
      tag = parsed.kind === 'hub' ? tagForHubId(parsed.repo) : undefined;
    }
    const weights = await fetchWeightsNode(parsed, { onProgress: bar.update });
    bar.finish();
    if (!weights.downloaded) process.stderr.write(`weights: ${weights.source}\n`);
    const tensors = parseSafetensors(weights.bytes, weights.source).tensors;
    return { tensors, source: weights.source, tag, model: modelOfRef(parsed), fromHub: parsed.kind === 'hub', config: weights.config };
  } catch (error) {
    bar.finish();
    throw error instanceof CliError ? error : new CliError(oneLine(error));
  }
}

export interface WeightsChoice {
  checkpoint?: string;
  pretrained?: string | true;
  model?: string;
}

export interface OpenedWeights {
  files: CheckpointFiles;
  /** The model to use when `--model` is absent (a run's model is taken from `files.runConfig` instead). */
  model?: string;
  /** Preprocessing of hub weights (their config.json, else the default tag's; else the registered cfg or the run's recipe). */
  pretrainedCfg?: PretrainedCfg;
  /** Tensors to load, where they came from (EMA weights of a run folder unless `ema` is false) and the file's metadata. */
  read(ema: boolean): { tensors: Map<string, RawTensor>; path: string; metadata: Record<string, string> };
  /** Class names for a classifier of `numClasses` outputs. */
  classes(numClasses: number): string[] | undefined;
}

/** Resolves `--checkpoint` / `--pretrained` (exactly one of them). */
export async function openWeights(choice: WeightsChoice): Promise<OpenedWeights> {
  if (choice.checkpoint !== undefined && choice.pretrained !== undefined) throw new CliError('give either --checkpoint or --pretrained, not both');
  if (choice.pretrained !== undefined) {
    const w = await fetchPretrained(choice.pretrained, choice.model);
    return {
      files: { weights: w.source },
      model: w.model,
      pretrainedCfg: w.config?.pretrainedCfg ?? w.tag?.pretrainedCfg,
      read: () => ({ tensors: w.tensors, path: w.source, metadata: {} }),
      classes: (n) => {
        const labels = pretrainedLabels(n, w.fromHub, w.tag, w.config);
        return labels ? [...labels] : undefined;
      },
    };
  }
  if (choice.checkpoint === undefined) throw new CliError('give --checkpoint PATH or --pretrained [REF] (a hub id such as timm/convnext_atto.d2_in1k)');
  const files = locateCheckpoint(choice.checkpoint);
  return {
    files,
    read: (ema) => {
      const path = ema && files.ema ? files.ema : files.weights;
      return { ...readCheckpoint(path), path };
    },
    classes: () => files.classes,
  };
}

export const PRETRAINED_HELP = 'weights from the Hugging Face hub (org/name[@revision], e.g. timm/convnext_atto.d2_in1k), a URL or a .safetensors path; without REF the model\'s default timm tag (cache: $HF_HOME/hub; HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE=1 honoured)';
