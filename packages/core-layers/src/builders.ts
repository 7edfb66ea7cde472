/**
 * Small builders the model families share, kept once (timm keeps them in `timm.layers`): Python's rounding, TF/timm
 * `make_divisible`, and the stochastic-depth schedule.
 */

/** Python 3 `round(x)`: nearest integer, ties to even (torchvision crop sizes, timm's SE width). */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * timm/TF `make_divisible`: round `v` to the nearest multiple of `divisor` (at least `minValue`), going up one step
 * when that lost more than `1 − roundLimit` of `v` (`roundLimit` 0 disables the guard).
 */
export function makeDivisible(v: number, divisor = 8, minValue = divisor, roundLimit = 0.9): number {
  let rounded = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < roundLimit * v) rounded += divisor;
  return rounded;
}

/** timm's drop-path schedule: `linspace(0, rate, total blocks)` split into per-stage lists. */
export function dropPathRates(rate: number, depths: readonly number[]): number[][] {
  const total = depths.reduce((a, b) => a + b, 0);
  const all = Array.from({ length: total }, (_, i) => (total > 1 ? (rate * i) / (total - 1) : 0));
  const out: number[][] = [];
  let start = 0;
  for (const d of depths) {
    out.push(all.slice(start, start + d));
    start += d;
  }
  return out;
}
