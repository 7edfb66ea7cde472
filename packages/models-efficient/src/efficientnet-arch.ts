import { makeDivisible } from '@nextnets/core-layers';

/** timm EfficientNet block types used by EfficientNetV2: ConvBnAct, EdgeResidual (Fused-MBConv), InvertedResidual (MBConv). */
export type EfficientBlockType = 'cn' | 'er' | 'ir';

/** One decoded stage string, e.g. `ir_r6_k3_s2_e4_c128_se0.25` (timm `_decode_block_str`). */
export interface EfficientStageArgs {
  type: EfficientBlockType;
  repeats: number;
  kernelSize: number;
  stride: number;
  expRatio: number;
  outChannels: number;
  /** SE ratio relative to the block input channels (0 = no SE). */
  seRatio: number;
  /** `skip` / `noskip` suffix: `cn` has a shortcut only with `skip`; `er`/`ir` have one unless `noskip`. */
  skip: boolean | undefined;
}

const TYPES: readonly string[] = ['cn', 'er', 'ir'];

/**
 * Decodes a timm arch string: `<type>_r<repeats>_k<kernel>_s<stride>_e<exp>_c<out>[_se<ratio>][_skip|_noskip]`.
 * Throws a one-line error naming the string for anything else.
 */
export function decodeStage(def: string): EfficientStageArgs {
  const [type, ...ops] = def.split('_');
  const bad = (why: string): Error => new Error(`EfficientNetV2: bad stage string '${def}': ${why}`);
  if (!TYPES.includes(type)) throw bad(`block type '${type}' is not one of ${TYPES.join(', ')}`);
  const args: EfficientStageArgs = { type: type as EfficientBlockType, repeats: 1, kernelSize: 3, stride: 1, expRatio: 1, outChannels: 0, seRatio: 0, skip: undefined };
  for (const op of ops) {
    const m = /^(se|r|k|s|e|c)(\d+(?:\.\d+)?)$/.exec(op);
    if (op === 'skip' || op === 'noskip') {
      args.skip = op === 'skip';
    } else if (m) {
      const value = Number(m[2]);
      const integer = (): number => {
        if (!Number.isInteger(value) || value < 1) throw bad(`'${op}' needs a positive integer`);
        return value;
      };
      if (m[1] === 'se') args.seRatio = value;
      else if (m[1] === 'e') args.expRatio = value;
      else if (m[1] === 'r') args.repeats = integer();
      else if (m[1] === 'k') args.kernelSize = integer();
      else if (m[1] === 's') args.stride = integer();
      else args.outChannels = integer();
    } else {
      throw bad(`unknown option '${op}'`);
    }
  }
  if (args.outChannels === 0) throw bad('missing output channels c<N>');
  return args;
}

/** timm `round_channels`: `make_divisible(c · multiplier, 8)` with the given round limit. */
export function roundChannels(channels: number, multiplier: number, roundLimit: number): number {
  return makeDivisible(channels * multiplier, 8, 8, roundLimit);
}

/** timm's depth scaling with `depth_trunc='ceil'`: each single-block stage repeats ceil(r · d) times. */
export function scaleRepeats(repeats: number, depthMultiplier: number): number {
  return Math.ceil(repeats * depthMultiplier);
}
