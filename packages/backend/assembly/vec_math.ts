// Vector helpers of the elementwise kernels (gelu.ts, silu.ts): fused multiply-add where the relaxed-SIMD build allows
// it, exp of non-positive arguments, and partial vectors for the last 1-3 elements. Not an entry file (no exports
// of its own in any module); everything that is called per vector is inlined.
// exp(v) for v ≤ 0 (v clamped at −87): v = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial
// (relative error < 2e-8 on that interval), 2^n assembled in the float exponent bits.

/** a·b + c, fused when the relaxed-SIMD build allows it. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b, fused when the relaxed-SIMD build allows it. */
@inline export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/** exp(v) for v ≤ 0 (see the header above). */
@inline export function expNonPositive(v: v128): v128 {
  // pmax(v, −87) = v < −87 ? −87 : v, one instruction; the same as max for every v (a NaN v comes back from both).
  const x = f32x4.pmax(v, f32x4.splat(-87.0));
  // n = round-to-nearest-even(x·log2 e) by adding 1.5·2²³ (the sum's unit is 1): the same value as f32x4.nearest, and
  // the integer n sits in the sum's low mantissa bits, so no float → int conversion is needed for 2ⁿ below.
  const shifted = madd(x, f32x4.splat(1.4426950408889634), f32x4.splat(12582912.0));
  const n = f32x4.sub(shifted, f32x4.splat(12582912.0));
  // Cody-Waite: ln2 split in a high part exact in float32 and a low correction.
  let r = nmadd(n, f32x4.splat(0.693145751953125), x);
  r = nmadd(n, f32x4.splat(1.428606765330187e-6), r);
  let p = f32x4.splat(1.0 / 5040.0);
  p = madd(p, r, f32x4.splat(1.0 / 720.0));
  p = madd(p, r, f32x4.splat(1.0 / 120.0));
  p = madd(p, r, f32x4.splat(1.0 / 24.0));
  p = madd(p, r, f32x4.splat(1.0 / 6.0));
  p = madd(p, r, f32x4.splat(0.5));
  p = madd(p, r, f32x4.splat(1.0));
  p = madd(p, r, f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.sub(shifted, f32x4.splat(12582912.0)), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** The first `count` (< 4) floats at p in the low lanes, zeros above. */
export function loadPartial(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the low `count` (< 4) lanes of v at p. */
export function storePartial(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

