/** Python 3 `round()` (half to even), used where timm/torchvision compute integer sizes with it. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
