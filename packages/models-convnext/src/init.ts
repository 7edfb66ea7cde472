import { truncNormalInit, zerosInit, type Initializer } from '@nextnets/core-layers';

/** timm ConvNeXt/InceptionNeXt `_init_weights`: Conv2d and Linear weights trunc_normal(std .02), biases 0 (ConvNeXt paper; timm convnext.py / InceptionNeXt paper; timm inception_next.py). */
export const timmWeightInit: Initializer = truncNormalInit(0.02);
export const timmBiasInit: Initializer = zerosInit;

/**
 * The classifier weight after `head.weight *= head_init_scale`: trunc_normal(.02)·s is trunc_normal(.02·s) with bounds
 * scaled by s (ConvNeXt paper; timm convnext.py). The bias stays 0.
 */
export function headWeightInit(headInitScale: number): Initializer {
  return truncNormalInit(0.02 * headInitScale, -2 * headInitScale, 2 * headInitScale);
}
