// Exact GELU, y = ½·x·(1 + erf(x/√2)), and its gradient on the wasm heap, in place, with the formulas of
// @nextnets/backend's wasm kernels (packages/backend/assembly/gelu.ts, where the approximations and their error bounds
// are described) evaluated with fused multiply-adds, like that file's relaxed-SIMD build:
//   gelu(heap, x, y, n)            y[i] = GELU(x[i])
//   geluGrad(heap, x, dy, dx, n)   dx[i] = dy[i]·GELU'(x[i])
// The forward takes erf from a rational fit z·P(z²)/Q(z²) (z clamped to ±4); the gradient from Abramowitz & Stegun
// 7.1.26 with exp(−z²) (range reduction by ln 2, degree-7 Taylor polynomial). 16 floats per step, compiled for
// AVX-512, AVX2+FMA and the baseline instruction set (one chosen at load, isa.h); the last 1-15 elements go
// through a zero-padded local vector, so nothing past n is read or written.
#include <stdlib.h>
#include <string.h>
#include "heap_args.h"
#include "isa.h"

// 64-byte vectors are only passed between always-inlined functions: no call ever uses the ABI the warning is about.
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float vf __attribute__((vector_size(64), aligned(4), may_alias));
typedef int32_t vi __attribute__((vector_size(64), aligned(4), may_alias));

#define SPLAT(c) ((vf){0} + (float)(c))

/** a where mask lanes are set, b elsewhere (mask from a vector comparison: all ones or zero per lane). */
static AI vf blend(vi mask, vf a, vf b) {
  return (vf)(((vi)a & mask) | ((vi)b & ~mask));
}

/** erf(z) ≈ z·P(z²)/Q(z²), z clamped to [−4, 4] (a NaN stays NaN). */
static AI vf erf_rational(vf v) {
  vf z = blend(v > SPLAT(4.0), SPLAT(4.0), v);
  z = blend(z < SPLAT(-4.0), SPLAT(-4.0), z);
  const vf t = z * z;
  vf p = SPLAT(1.9745684767258354e-6);
  p = p * t + SPLAT(2.880199172068387e-4);
  p = p * t + SPLAT(4.003607202321291e-3);
  p = p * t + SPLAT(5.346740409731865e-2);
  p = p * t + SPLAT(1.9625096023082733e-1);
  p = p * t + SPLAT(1.128378987312317);
  vf q = SPLAT(3.747696609934792e-5);
  q = q * t + SPLAT(1.2163093779236078e-3);
  q = q * t + SPLAT(1.5444403514266014e-2);
  q = q * t + SPLAT(1.1647693067789078e-1);
  q = q * t + SPLAT(5.072540640830994e-1);
  q = q * t + SPLAT(1.0);
  return (z * p) / q;
}

static AI vf gelu_vec(vf v) {
  const vf half = SPLAT(0.5) * v;
  return half * erf_rational(v * SPLAT(0.7071067811865476)) + half;
}

/** exp(v) for v ≤ 0 (clamped at −87; a NaN stays NaN). */
static AI vf exp_non_positive(vf v) {
  const vf x = blend(v < SPLAT(-87.0), SPLAT(-87.0), v);
  // round(x·log2 e) in the low mantissa bits of the sum with 1.5·2²³
  const vf shifted = x * SPLAT(1.4426950408889634) + SPLAT(12582912.0);
  const vf n = shifted - SPLAT(12582912.0);
  vf r = x - n * SPLAT(0.693145751953125);
  r = r - n * SPLAT(1.428606765330187e-6);
  vf p = SPLAT(1.0 / 5040.0);
  p = p * r + SPLAT(1.0 / 720.0);
  p = p * r + SPLAT(1.0 / 120.0);
  p = p * r + SPLAT(1.0 / 24.0);
  p = p * r + SPLAT(1.0 / 6.0);
  p = p * r + SPLAT(0.5);
  p = p * r + SPLAT(1.0);
  p = p * r + SPLAT(1.0);
  const vi scale = (((vi)shifted - (vi)SPLAT(12582912.0)) + 127) << 23;
  return p * (vf)scale;
}

static AI vf gelu_grad_vec(vf v, vf dy) {
  const vi negative = v < SPLAT(0.0);
  const vf z = (vf)((vi)v & ((vi){0} + 0x7fffffff)) * SPLAT(0.7071067811865476);  // |x|/√2
  const vf gauss = exp_non_positive(-(z * z));
  const vf t = SPLAT(1.0) / (SPLAT(0.3275911) * z + SPLAT(1.0));
  vf p = SPLAT(1.061405429);
  p = p * t + SPLAT(-1.453152027);
  p = p * t + SPLAT(1.421413741);
  p = p * t + SPLAT(-0.284496736);
  p = p * t + SPLAT(0.254829592);
  const vf c = p * t * gauss;  // erfc(|x|/√2)
  const vf cdf2 = blend(negative, c, SPLAT(2.0) - c);  // 1 + erf(x/√2)
  return dy * (SPLAT(0.5) * cdf2 + v * (gauss * SPLAT(0.3989422804014327)));
}

#define N (int64_t)(sizeof(vf) / sizeof(float))

static AI void gelu_any(const float *x, float *y, int64_t n) {
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const vf a = *(const vf *)(x + i), b = *(const vf *)(x + i + N);
    *(vf *)(y + i) = gelu_vec(a);
    *(vf *)(y + i + N) = gelu_vec(b);
  }
  for (; i + N <= n; i += N) *(vf *)(y + i) = gelu_vec(*(const vf *)(x + i));
  if (i < n) {
    vf a = {0};
    memcpy(&a, x + i, (size_t)(n - i) * sizeof(float));
    const vf r = gelu_vec(a);
    memcpy(y + i, &r, (size_t)(n - i) * sizeof(float));
  }
}

static AI void gelu_grad_any(const float *x, const float *dy, float *dx, int64_t n) {
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const vf a = *(const vf *)(x + i), b = *(const vf *)(x + i + N);
    const vf da = *(const vf *)(dy + i), db = *(const vf *)(dy + i + N);
    *(vf *)(dx + i) = gelu_grad_vec(a, da);
    *(vf *)(dx + i + N) = gelu_grad_vec(b, db);
  }
  for (; i + N <= n; i += N) *(vf *)(dx + i) = gelu_grad_vec(*(const vf *)(x + i), *(const vf *)(dy + i));
  if (i < n) {
    vf a = {0}, d = {0};
    memcpy(&a, x + i, (size_t)(n - i) * sizeof(float));
    memcpy(&d, dy + i, (size_t)(n - i) * sizeof(float));
    const vf r = gelu_grad_vec(a, d);
    memcpy(dx + i, &r, (size_t)(n - i) * sizeof(float));
  }
}

typedef struct {
  void (*gelu)(const float *, float *, int64_t);
  void (*grad)(const float *, const float *, float *, int64_t);
} GeluKernels;

#define GELU_ENTRIES(isa, attr)                                                                                       \
  attr static void gelu_##isa(const float *x, float *y, int64_t n) { gelu_any(x, y, n); }                           \
  attr static void grad_##isa(const float *x, const float *dy, float *dx, int64_t n) { gelu_grad_any(x, dy, dx, n); } \
  static const GeluKernels gelu_kernels_##isa = {gelu_##isa, grad_##isa};

#if defined(__x86_64__)
GELU_ENTRIES(avx512, TARGET_AVX512)
GELU_ENTRIES(avx2, TARGET_AVX2)
#endif
GELU_ENTRIES(base, )

static const GeluKernels *gelu_kernels = &gelu_kernels_base;

/** The build for the widest instruction set this CPU runs (isa.h). */
static void choose_gelu_kernels(void) {
  switch (native_isa()) {
#if defined(__x86_64__)
    case ISA_AVX512: gelu_kernels = &gelu_kernels_avx512; break;
    case ISA_AVX2: gelu_kernels = &gelu_kernels_avx2; break;
#endif
    default: gelu_kernels = &gelu_kernels_base;
  }
}

static napi_value gelu(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "gelu", 4, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[3];
  if (heap == NULL || !read_ints(env, argv, 1, 3, v)) return NULL;
  if (!in_heap(env, length, v[0], v[2], "x") || !in_heap(env, length, v[1], v[2], "y")) return NULL;
  gelu_kernels->gelu((const float *)(heap + v[0]), (float *)(heap + v[1]), v[2]);
  return NULL;
}

static napi_value gelu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "geluGrad", 5, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[4];
  if (heap == NULL || !read_ints(env, argv, 1, 4, v)) return NULL;
  if (!in_heap(env, length, v[0], v[3], "x") || !in_heap(env, length, v[1], v[3], "dy") || !in_heap(env, length, v[2], v[3], "dx"))
    return NULL;
  gelu_kernels->grad((const float *)(heap + v[0]), (const float *)(heap + v[1]), (float *)(heap + v[2]), v[3]);
  return NULL;
}

void register_gelu(napi_env env, napi_value exports) {
  choose_gelu_kernels();
  export_function(env, exports, "gelu", gelu);
  export_function(env, exports, "geluGrad", gelu_grad);
}
