/** Splits `batch` rows into `replicas` contiguous shards as evenly as possible: [start, size] pairs (empty ones dropped). */
export function shardRanges(batch: number, replicas: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const base = Math.floor(batch / replicas);
  const extra = batch % replicas;
  let start = 0;
  for (let r = 0; r < replicas; r++) {
    const size = base + (r < extra ? 1 : 0);
    if (size > 0) ranges.push([start, size]);
    start += size;
  }
  return ranges;
}
