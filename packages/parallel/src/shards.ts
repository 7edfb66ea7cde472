/** Splits `batch` rows into `replicas` contiguous shards as evenly as possible: [start, size] pairs (empty ones dropped). */
export function shardRanges(batch: number, replicas: number): Array<[number, number]> {
  return weightedShardRanges(batch, new Array<number>(replicas).fill(1));
}

/**
 * Splits `batch` rows into contiguous shards with sizes proportional to `weights` (one per replica, e.g. each replica's
 * measured images per millisecond), by largest remainder with ties to the earlier replica. Every replica gets at least
 * one row while rows last, so a slow replica keeps being measured; empty shards are dropped.
 */
export function weightedShardRanges(batch: number, weights: readonly number[]): Array<[number, number]> {
  const replicas = weights.length;
  const guaranteed = Math.min(batch, replicas);
  const sizes = weights.map((_, r) => (r < guaranteed ? 1 : 0));
  const rest = batch - guaranteed;
  const total = weights.reduce((sum, w) => sum + w, 0);
  const shares = weights.map((w) => (total > 0 ? (rest * w) / total : rest / replicas));
  let given = 0;
  shares.forEach((share, r) => {
    sizes[r] += Math.floor(share);
    given += Math.floor(share);
  });
  const byRemainder = shares.map((share, r) => [share - Math.floor(share), r]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < rest - given; k++) sizes[byRemainder[k][1]]++;
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (const size of sizes) {
    if (size > 0) ranges.push([start, size]);
    start += size;
  }
  return ranges;
}
