// Exact GELU and its gradient, compiled by AssemblyScript with an IMPORTED memory (like adamw.ts): the pointers are
// tensor offsets on the tfjs heap, so nothing is copied in or out. Whole vectors of 4, then the last 1-3 elements
// through one partial vector (read and written lane by lane: nothing past n is touched). No data segments.
// Everything is inlined and the main loops take two vectors per iteration: the two dependency chains (exp, division,
// polynomials: ~40 dependent operations each) then overlap. Unrolled and inlined, the results are bit-for-bit the same.
// y = ½·x·(1 + erf(x/√2)).
// The forward takes erf from a rational function without exp (z clamped to ±4, where erf(z) = ±1 in float32):
// erf(z) ≈ z·P(z²)/Q(z²), P and Q of degree 5, fitted by scripts/fit_erf.py (least squares reweighted toward the
// minimax error): |error| ≤ 2.2e-8 in exact arithmetic and ≤ 4.2e-7 evaluated in float32 on [0, 4], against
// A&S 7.1.26's 1.5e-7 below. About half the operations of the exp + erfc route, and no exp.
// The gradient needs exp(−x²/2) anyway, so it keeps that route:
// erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7, the approximation tfjs' Erf kernels use): for z ≥ 0,
// erfc(z) = t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·exp(−z²) with t = 1/(1 + p·z).
// exp(v) for v ≤ 0 (v clamped at −87): v = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial
// (relative error < 2e-8 on that interval), 2^n assembled in the float exponent bits.
// Built twice from this file, like matmul.ts: with plain SIMD (multiply, then add: the results above) and with relaxed
// SIMD, where `madd` is the fused multiply-add: one rounding per step, and each Horner step's latency halves.
// The vector helpers (madd, exp, partial loads) live in vec_math.ts, shared with silu.ts.

import { expNonPositive, loadPartial, madd, storePartial } from './vec_math';

/** erfc(z) for z ≥ 0 given g = exp(−z²). */
@inline function erfcNonNegative(z: v128, g: v128): v128 {
  const t = f32x4.div(f32x4.splat(1.0), madd(f32x4.splat(0.3275911), z, f32x4.splat(1.0)));
  let p = f32x4.splat(1.061405429);
  p = madd(p, t, f32x4.splat(-1.453152027));
  p = madd(p, t, f32x4.splat(1.421413741));
  p = madd(p, t, f32x4.splat(-0.284496736));
  p = madd(p, t, f32x4.splat(0.254829592));
  return f32x4.mul(f32x4.mul(p, t), g);
}

/** z = |x|/√2. */
@inline function halfSqrt2Abs(x: v128): v128 {
  return f32x4.mul(f32x4.abs(x), f32x4.splat(0.7071067811865476));
}

/** 1 + erf(x/√2) for a vector x given z = |x|/√2 and g = exp(−z²): 2 − erfc(z) where x ≥ 0, erfc(z) where x < 0. */
@inline function onePlusErf(x: v128, z: v128, g: v128): v128 {
  const c = erfcNonNegative(z, g);
  return v128.bitselect(c, f32x4.sub(f32x4.splat(2.0), c), f32x4.lt(x, f32x4.splat(0)));
}

/** erf(z) ≈ z·P(z²)/Q(z²) with z clamped to [−4, 4] (pmin/pmax with z first: a NaN z stays NaN). */
@inline function erfRational(v: v128): v128 {
  const z = f32x4.pmax(f32x4.pmin(v, f32x4.splat(4.0)), f32x4.splat(-4.0));
  const t = f32x4.mul(z, z);
  let p = f32x4.splat(1.9745684767258354e-6);
  p = madd(p, t, f32x4.splat(2.880199172068387e-4));
  p = madd(p, t, f32x4.splat(4.003607202321291e-3));
  p = madd(p, t, f32x4.splat(5.346740409731865e-2));
  p = madd(p, t, f32x4.splat(1.9625096023082733e-1));
  p = madd(p, t, f32x4.splat(1.128378987312317));
  let q = f32x4.splat(3.747696609934792e-5);
  q = madd(q, t, f32x4.splat(1.2163093779236078e-3));
  q = madd(q, t, f32x4.splat(1.5444403514266014e-2));
  q = madd(q, t, f32x4.splat(1.1647693067789078e-1));
  q = madd(q, t, f32x4.splat(5.072540640830994e-1));
  q = madd(q, t, f32x4.splat(1.0));
  return f32x4.div(f32x4.mul(z, p), q);
}

/** ½x + ½x·erf(x/√2). */
@inline function geluVec(v: v128): v128 {
  const half = f32x4.mul(f32x4.splat(0.5), v);
  return madd(half, erfRational(f32x4.mul(v, f32x4.splat(0.7071067811865476))), half);
}

/** y[i] = ½·x[i]·(1 + erf(x[i]/√2)) for i < n. */
export function gelu(x: usize, y: usize, n: i32): void {
  const n4 = n & ~3;
  const n8 = n & ~7;
  let i = 0;
  for (; i < n8; i += 8) {
    const off = <usize>i << 2;
    const a = v128.load(x + off), b = v128.load(x + off, 16);
    v128.store(y + off, geluVec(a));
    v128.store(y + off, geluVec(b), 16);
  }
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, geluVec(v128.load(x + off)));
  }
  if (n > n4) {
    const off = <usize>n4 << 2;
    storePartial(y + off, geluVec(loadPartial(x + off, n - n4)), n - n4);
  }
}

/** dy·(½(1 + erf(x/√2)) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π). */
@inline function geluGradVec(v: v128, dyv: v128): v128 {
  const z = halfSqrt2Abs(v);
  const gauss = expNonPositive(f32x4.neg(f32x4.mul(z, z)));
  const cdf2 = onePlusErf(v, z, gauss);
  const d = madd(f32x4.splat(0.5), cdf2, f32x4.mul(v, f32x4.mul(gauss, f32x4.splat(0.3989422804014327))));
  return f32x4.mul(dyv, d);
}

/** dx[i] = dy[i]·GELU'(x[i]) for i < n. */
export function geluGrad(x: usize, dy: usize, dx: usize, n: i32): void {
  const n4 = n & ~3;
  const n8 = n & ~7;
  let i = 0;
  for (; i < n8; i += 8) {
    const off = <usize>i << 2;
    const a = v128.load(x + off), b = v128.load(x + off, 16);
    const da = v128.load(dy + off), db = v128.load(dy + off, 16);
    v128.store(dx + off, geluGradVec(a, da));
    v128.store(dx + off, geluGradVec(b, db), 16);
  }
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(dx + off, geluGradVec(v128.load(x + off), v128.load(dy + off)));
  }
  if (n > n4) {
    const off = <usize>n4 << 2;
    const count = n - n4;
    storePartial(dx + off, geluGradVec(loadPartial(x + off, count), loadPartial(dy + off, count)), count);
  }
}
