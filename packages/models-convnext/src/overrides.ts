/** Per-stage list checks of the ConvNeXt-family overrides (the general override validation is core-layers' `OverrideReader`). */
/** Throws unless depths and dims (and any per-stage list) have the same length. */
export function checkStageLists(modelName: string, lists: Record<string, readonly number[]>): void {
  const entries = Object.entries(lists);
  const [firstKey, first] = entries[0];
  for (const [key, list] of entries.slice(1)) {
    if (list.length !== first.length) {
      throw new Error(`${modelName}: '${key}' has ${list.length} stages but '${firstKey}' has ${first.length}`);
    }
  }
}
