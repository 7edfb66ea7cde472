// SiLU (swish) and its gradient, compiled by AssemblyScript with an IMPORTED memory (like gelu.ts): the pointers are
// tensor offsets on the tfjs heap, so nothing is copied in or out. Whole vectors of 4, two per iteration (two
// independent exp + division chains overlap), then the last 1-3 elements through one partial vector. No data segments.
// y = x·σ(x), σ(x) = 1/(1 + e^(−x)), from e = exp(−|x|) ≤ 1 only (no overflow for any x): σ = 1/(1 + e) where x ≥ 0,
// e/(1 + e) where x < 0. The gradient recomputes σ from x: dx = dy·σ·(1 + x·(1 − σ)).
// Built twice from this file, like gelu.ts: plain SIMD and relaxed SIMD (fused multiply-add in the exp polynomial).

import { expNonPositive, loadPartial, madd, storePartial } from './vec_math';

@inline function sigmoidVec(v: v128): v128 {
  const e = expNonPositive(f32x4.neg(f32x4.abs(v)));
  const r = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(f32x4.mul(e, r), r, f32x4.lt(v, f32x4.splat(0)));
}

@inline function siluVec(v: v128): v128 {
  return f32x4.mul(v, sigmoidVec(v));
}

@inline function siluGradVec(v: v128, dyv: v128): v128 {
  const s = sigmoidVec(v);
  // σ·(1 + x·(1 − σ)) = σ + σ·x·(1 − σ)
  const d = madd(f32x4.mul(s, v), f32x4.sub(f32x4.splat(1.0), s), s);
  return f32x4.mul(dyv, d);
}

/** y[i] = x[i]·σ(x[i]) for i < n. */
export function silu(x: usize, y: usize, n: i32): void {
  const n4 = n & ~3;
  const n8 = n & ~7;
  let i = 0;
  for (; i < n8; i += 8) {
    const off = <usize>i << 2;
    const a = v128.load(x + off), b = v128.load(x + off, 16);
    v128.store(y + off, siluVec(a));
    v128.store(y + off, siluVec(b), 16);
  }
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, siluVec(v128.load(x + off)));
  }
  if (n > n4) {
    const off = <usize>n4 << 2;
    storePartial(y + off, siluVec(loadPartial(x + off, n - n4)), n - n4);
  }
}

/** dx[i] = dy[i]·SiLU'(x[i]) for i < n. */
export function siluGrad(x: usize, dy: usize, dx: usize, n: i32): void {
  const n4 = n & ~3;
  const n8 = n & ~7;
  let i = 0;
  for (; i < n8; i += 8) {
    const off = <usize>i << 2;
    const a = v128.load(x + off), b = v128.load(x + off, 16);
    const da = v128.load(dy + off), db = v128.load(dy + off, 16);
    v128.store(dx + off, siluGradVec(a, da));
    v128.store(dx + off, siluGradVec(b, db), 16);
  }
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(dx + off, siluGradVec(v128.load(x + off), v128.load(dy + off)));
  }
  if (n > n4) {
    const off = <usize>n4 << 2;
    const count = n - n4;
    storePartial(dx + off, siluGradVec(loadPartial(x + off, count), loadPartial(dy + off, count)), count);
  }
}
