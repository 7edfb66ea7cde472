import type { ModelOverrides } from '@nextnets/core-layers';
import { OverrideReader } from '@nextnets/core-layers';
import { checkStageLists } from '@nextnets/models-convnext';

/**
 * The switches of the roadmap network. Each step of the ConvNeXt paper (Liu et al. 2022, "A ConvNet for the
 * 2020s", Section 2 and Figure 2) flips one or two of them; `ROADMAP_STEPS` lists them cumulatively.
 */
export interface RoadmapConfig {
  /** Blocks per stage. */
  depths: number[];
  /** Output width of the blocks of each stage (ResNet-50: 256…2048; ConvNeXt-T: 96…768). */
  dims: number[];
  /** Width of the stem output (ResNet layout; the ConvNeXt layout uses dims[0]). */
  stemWidth: number;
  /** `resnet`: 7×7 stride-2 conv → norm → act → 3×3 stride-2 max-pool; `patchify`: 4×4 stride-4 conv → norm. */
  stem: 'resnet' | 'patchify';
  /** Hidden width of a block / its output width: 0.25 (ResNet bottleneck), 4 (inverted bottleneck). */
  midRatio: number;
  /** The spatial conv is depthwise (groups = channels), ResNeXt's grouped conv taken to its limit. */
  depthwise: boolean;
  /** The spatial (depthwise) conv comes first in the block, before the 1×1 layers. */
  dwFirst: boolean;
  /** Kernel of the spatial conv (odd). */
  kernelSize: number;
  act: 'relu' | 'gelu';
  /** One activation, between the two 1×1 convs; none after the residual add. */
  fewerActivations: boolean;
  /** One norm, after the spatial conv (before the 1×1 convs). */
  fewerNorms: boolean;
  norm: 'batch' | 'layer';
  /**
   * ConvNeXt layout: LayerNorm + 2×2 stride-2 conv between stages, LayerNorm after the stem and after the pool, and
   * timm `convnext` keys. Off: downsampling inside the first block of a stage (stride on the spatial conv, 1×1
   * strided projection shortcut) and timm `resnet` keys.
   */
  separateDownsampling: boolean;
  /** Layer-scale init on the residual branch; null = none. */
  lsInitValue: number | null;
  numClasses: number;
  inChans: number;
  dropRate: number;
  dropPathRate: number;
}

/** One step of the paper's Figure 2: the registry name, what changed, the paper's ImageNet-1k top-1 and GFLOPs (MACs). */
export interface RoadmapStep {
  name: string;
  change: string;
  paperTop1: number;
  paperGmacs: number;
  /** The architecture switches (everything but the shared numClasses/inChans/drop rates). */
  arch: Omit<RoadmapConfig, 'numClasses' | 'inChans' | 'dropRate' | 'dropPathRate'>;
}

const RESNET50: RoadmapStep['arch'] = {
  depths: [3, 4, 6, 3],
  dims: [256, 512, 1024, 2048],
  stemWidth: 64,
  stem: 'resnet',
  midRatio: 0.25,
  depthwise: false,
  dwFirst: false,
  kernelSize: 3,
  act: 'relu',
  fewerActivations: false,
  fewerNorms: false,
  norm: 'batch',
  separateDownsampling: false,
  lsInitValue: null,
};

function step(
  name: string,
  change: string,
  paperTop1: number,
  paperGmacs: number,
  previous: RoadmapStep | null,
  diff: Partial<RoadmapStep['arch']>,
): RoadmapStep {
  return { name, change, paperTop1, paperGmacs, arch: { ...(previous ? previous.arch : RESNET50), ...diff } };
}

const steps: RoadmapStep[] = [];
const add = (name: string, change: string, top1: number, gmacs: number, diff: Partial<RoadmapStep['arch']>): void => {
  steps.push(step(name, change, top1, gmacs, steps.at(-1) ?? null, diff));
};
add('roadmap_resnet50', 'ResNet-50 (timm resnet50 layout and keys)', 78.8, 4.1, {});
add('roadmap_stage_ratio', 'blocks per stage (3,4,6,3) -> (3,3,9,3)', 79.4, 4.5, { depths: [3, 3, 9, 3] });
add('roadmap_patchify', 'stem -> 4x4 stride-4 conv', 79.5, 4.4, { stem: 'patchify' });
add('roadmap_resnextify', 'depthwise 3x3 in the bottleneck, width 64 -> 96', 80.5, 5.3, {
  depthwise: true,
  stemWidth: 96,
  dims: [384, 768, 1536, 3072],
});
add('roadmap_inverted_bottleneck', 'inverted bottleneck (1x1 expand x4, dw, 1x1 project)', 80.6, 4.6, {
  midRatio: 4,
  dims: [96, 192, 384, 768],
});
add('roadmap_move_up_dw', 'depthwise conv first in the block', 79.9, 4.1, { dwFirst: true });
add('roadmap_kernel_7', 'depthwise kernel 3 -> 7', 80.6, 4.2, { kernelSize: 7 });
add('roadmap_gelu', 'ReLU -> GELU', 80.6, 4.2, { act: 'gelu' });
add('roadmap_fewer_activations', 'one GELU, between the two 1x1 convs', 81.3, 4.2, { fewerActivations: true });
add('roadmap_fewer_norms', 'one norm, before the first 1x1 conv', 81.4, 4.2, { fewerNorms: true, lsInitValue: 1e-6 });
add('roadmap_layer_norm', 'BatchNorm -> LayerNorm', 81.5, 4.2, { norm: 'layer' });
add('roadmap_separate_downsampling', 'LN + 2x2 stride-2 conv between stages, LN after stem and pool (= convnext_tiny)', 82.0, 4.5, {
  separateDownsampling: true,
});

/** The 12 steps of the roadmap in order, each cumulative over the previous one. */
export const ROADMAP_STEPS: readonly RoadmapStep[] = steps;

/** The step of a registry name, or a one-line error listing them. */
export function roadmapStep(name: string): RoadmapStep {
  const found = ROADMAP_STEPS.find((s) => s.name === name);
  if (!found) throw new Error(`unknown roadmap step '${name}' (steps: ${ROADMAP_STEPS.map((s) => s.name).join(', ')})`);
  return found;
}

/** Override keys every roadmap step accepts. */
export const ROADMAP_OVERRIDES = [
  'numClasses',
  'inChans',
  'depths',
  'dims',
  'stemWidth',
  'kernelSize',
  'widthMult',
  'depthMult',
  'dropRate',
  'dropPathRate',
] as const;

/** Width scaled and rounded to a multiple of 8 (at least 8), so the 1/4 bottleneck width stays an integer. */
export function scaleWidth(width: number, mult: number): number {
  return Math.max(8, Math.round((width * mult) / 8) * 8);
}

/** Depth scaled and rounded, at least one block. */
export function scaleDepth(depth: number, mult: number): number {
  return Math.max(1, Math.round(depth * mult));
}

/**
 * A step's full config with user overrides (one-line errors). `widthMult` / `depthMult` scale the step's widths and
 * depths (after explicit `dims` / `depths` / `stemWidth`, if given).
 */
export function roadmapConfig(name: string, overrides: ModelOverrides = {}): RoadmapConfig {
  const { arch } = roadmapStep(name);
  const r = new OverrideReader(name, overrides, ROADMAP_OVERRIDES);
  const widthMult = r.number('widthMult', 1, 1e-3);
  const depthMult = r.number('depthMult', 1, 1e-3);
  const kernelSize = r.int('kernelSize', arch.kernelSize, 1);
  if (kernelSize % 2 === 0) throw new Error(`${name}: override 'kernelSize' must be odd, got ${kernelSize}`);
  const config: RoadmapConfig = {
    ...arch,
    depths: r.numbers('depths', arch.depths, 1, true).map((d) => (depthMult === 1 ? d : scaleDepth(d, depthMult))),
    dims: r.numbers('dims', arch.dims, 1, true).map((d) => (widthMult === 1 ? d : scaleWidth(d, widthMult))),
    stemWidth: widthMult === 1 ? r.int('stemWidth', arch.stemWidth, 1) : scaleWidth(r.int('stemWidth', arch.stemWidth, 1), widthMult),
    kernelSize,
    numClasses: r.int('numClasses', 1000),
    inChans: r.int('inChans', 3, 1),
    dropRate: r.number('dropRate', 0, 0, 1),
    dropPathRate: r.number('dropPathRate', 0, 0, 1),
  };
  checkStageLists(name, { depths: config.depths, dims: config.dims });
  for (const d of config.dims) {
    const mid = d * config.midRatio;
    if (!Number.isInteger(mid)) throw new Error(`${name}: width ${d} times the block ratio ${config.midRatio} is not an integer`);
  }
  return config;
}
