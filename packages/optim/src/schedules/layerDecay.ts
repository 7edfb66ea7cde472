/**
 * Layer-wise lr decay scales (ConvNeXt `optim_factory`, ConvNeXt V2 FCMAE; official fcmae.py / ConvNeXt's official recipe, main.py/optim_factory.py): entry i (i = 0 … numLayers+1) is
 * decay^(numLayers + 1 − i), so the head/final norm (id numLayers+1) gets 1 and the stem (id 0) the smallest.
 */
export function layerDecayScales(numLayers: number, decay: number): number[] {
  if (!Number.isInteger(numLayers) || numLayers < 0) {
    throw new Error(`layerDecayScales: numLayers must be an integer >= 0, got ${numLayers}`);
  }
  if (!(decay > 0 && decay <= 1)) throw new Error(`layerDecayScales: decay must be in (0, 1], got ${decay}`);
  return Array.from({ length: numLayers + 2 }, (_, i) => decay ** (numLayers + 1 - i));
}

/**
 * Turns a model-provided `layerId(name)` (0 … numLayers+1) into the `lrScale(name)` callback of makeParamGroups.
 * Throws a one-line error naming the parameter when its id is out of range.
 */
export function layerDecayLrScale(
  layerId: (name: string) => number,
  numLayers: number,
  decay: number,
): (name: string) => number {
  const scales = layerDecayScales(numLayers, decay);
  return (name) => {
    const id = layerId(name);
    if (!Number.isInteger(id) || id < 0 || id >= scales.length) {
      throw new Error(`layerDecayLrScale: layer id ${id} of '${name}' is outside 0..${scales.length - 1}`);
    }
    return scales[id];
  };
}
