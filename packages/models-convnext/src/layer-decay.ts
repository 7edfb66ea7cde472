/** Layer ids for layer-wise lr decay: lr scale of a parameter = decay^(numLayers + 1 − layerId(name)). */
export interface LayerDecayGroups {
  numLayers: number;
  layerId: (name: string) => number;
}

export type LayerDecayScheme = 'single' | 'group';

const STEM = /^stem\./;
const DOWNSAMPLE = /^stages\.(\d+)\.downsample\./;
const BLOCK = /^stages\.(\d+)\.blocks\.(\d+)\./;

/**
 * ConvNeXt fine-tuning layer decay on timm key names (ConvNeXt V2 FCMAE; official fcmae.py fine-tuning, ConvNeXt's official recipe, main.py/optim_factory.py):
 * - `single` (ConvNeXt-V2 `main_finetune.py`): one id per block, numLayers = sum(depths); block j of stage i →
 *   sum(depths[:i]) + j + 1; a stage's downsample shares the id of its first block; the stem shares id 1; head → L + 1.
 * - `group` (ConvNeXt-V1 `get_num_layer_for_convnext`, 12 groups): stem → 0; stage 0 → 1; stage 1 (with its
 *   downsample) → 2; stage-2 downsample → 3, stage-2 block b → 3 + ⌊b/3⌋; stage 3 → 12; head and the rest → 13.
 */
export function convNeXtLayerDecay(depths: readonly number[], scheme: LayerDecayScheme): LayerDecayGroups {
  if (scheme === 'single') {
    const numLayers = depths.reduce((a, b) => a + b, 0);
    const stageStart = depths.map((_, i) => depths.slice(0, i).reduce((a, b) => a + b, 0));
    return {
      numLayers,
      layerId(name) {
        if (STEM.test(name)) return 1;
        const ds = DOWNSAMPLE.exec(name);
        if (ds) return stageStart[Number(ds[1])] + 1;
        const block = BLOCK.exec(name);
        if (block) return stageStart[Number(block[1])] + Number(block[2]) + 1;
        return numLayers + 1;
      },
    };
  }
  if (scheme === 'group') {
    if (depths.length !== 4) throw new Error(`layer decay 'group' needs 4 stages, the model has ${depths.length}`);
    return {
      numLayers: 12,
      layerId(name) {
        if (STEM.test(name)) return 0;
        const ds = DOWNSAMPLE.exec(name);
        const block = BLOCK.exec(name);
        const stage = Number((ds ?? block)?.[1] ?? -1);
        if (stage === 0 || stage === 1) return stage + 1;
        if (stage === 2) return block ? 3 + Math.floor(Number(block[2]) / 3) : 3;
        if (stage === 3) return 12;
        return 13;
      },
    };
  }
  throw new Error(`unknown layer decay scheme '${String(scheme)}' (expected 'single' or 'group')`);
}
