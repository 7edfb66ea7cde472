// Exact GELU, y = ½·x·(1 + erf(x/√2)), and its gradient on the wasm heap, with the math of @nextnets/backend's wasm
// kernel (packages/backend/assembly/gelu.ts) in 16-lane (AVX-512) or 8-lane (AVX2) vectors where the CPU has them:
//   forward: erf(z) ≈ z·P(z²)/Q(z²), z clamped to ±4, P and Q of degree 5 (|error| ≤ 4.2e-7 in float32);
//   gradient: dy·(½(1 + erf(x/√2)) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π), erf by Abramowitz & Stegun 7.1.26
//   (|error| ≤ 1.5e-7), exp(v ≤ 0) by a Cody-Waite reduction and a degree-7 Taylor polynomial.
// Every step is plain float arithmetic GCC vectorises; target_clones picks the widest build the CPU runs (no
// -march=native, so the addon runs on any x86-64).
#include <stdint.h>
#include <string.h>
#include "heap_args.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

static inline float erf_rational(float v) {
  float z = v < -4.0f ? -4.0f : (v > 4.0f ? 4.0f : v);
  float t = z * z;
  float p = 1.9745684767258354e-6f;
  p = p * t + 2.880199172068387e-4f;
  p = p * t + 4.003607202321291e-3f;
  p = p * t + 5.346740409731865e-2f;
  p = p * t + 1.9625096023082733e-1f;
  p = p * t + 1.128378987312317f;
  float q = 3.747696609934792e-5f;
  q = q * t + 1.2163093779236078e-3f;
  q = q * t + 1.5444403514266014e-2f;
  q = q * t + 1.1647693067789078e-1f;
  q = q * t + 5.072540640830994e-1f;
  q = q * t + 1.0f;
  return z * p / q;
}

// e^v for v ≤ 0 (clamped at −87): v = n·ln2 + r, |r| ≤ ln2/2, 2ⁿ built in the exponent bits.
static inline float exp_non_positive(float v) {
  float x = v < -87.0f ? -87.0f : v;
  float n = (x * 1.4426950408889634f + 12582912.0f) - 12582912.0f;  // round to nearest
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187e-6f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

VECTOR_CLONES static void gelu_forward(const float *restrict x, float *restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float half = 0.5f * x[i];
    y[i] = half + half * erf_rational(x[i] * 0.7071067811865476f);
  }
}

VECTOR_CLONES static void gelu_backward(const float *restrict x, const float *restrict dy, float *restrict dx, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float z = (v < 0 ? -v : v) * 0.7071067811865476f;
    float gauss = exp_non_positive(-(z * z));
    float t = 1.0f / (0.3275911f * z + 1.0f);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float erfc = p * t * gauss;
    float one_plus_erf = v < 0 ? erfc : 2.0f - erfc;
    dx[i] = dy[i] * (0.5f * one_plus_erf + v * (gauss * 0.3989422804014327f));
  }
}

// gelu(heap, x, y, n)
static napi_value gelu(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "gelu", 4, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[3];
  if (heap == NULL || !read_ints(env, argv, 1, 3, v)) return NULL;
  if (!in_heap(env, length, v[0], v[2], "x") || !in_heap(env, length, v[1], v[2], "y")) return NULL;
  gelu_forward((const float *)(heap + v[0]), (float *)(heap + v[1]), v[2]);
  return NULL;
}

// geluGrad(heap, x, dy, dx, n)
static napi_value gelu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "geluGrad", 5, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[4];
  if (heap == NULL || !read_ints(env, argv, 1, 4, v)) return NULL;
  if (!in_heap(env, length, v[0], v[3], "x") || !in_heap(env, length, v[1], v[3], "dy") || !in_heap(env, length, v[2], v[3], "dx"))
    return NULL;
  gelu_backward((const float *)(heap + v[0]), (const float *)(heap + v[1]), (float *)(heap + v[2]), v[3]);
  return NULL;
}

void register_gelu(napi_env env, napi_value exports) {
  export_function(env, exports, "gelu", gelu);
  export_function(env, exports, "geluGrad", gelu_grad);
}
