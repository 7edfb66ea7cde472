// LayerNorm over the last axis (rows of c contiguous floats) and its gradient on the wasm heap, in place, with the
// semantics of @nextnets/backend's wasm kernels (packages/backend/assembly/simd.ts):
//   layerNorm(heap, x, w, b, y, mean, rstd, rows, c, eps)
//     y = (x − μ)·r·w + b per row, r = 1/√(σ² + eps) (biased variance, two passes like tf.moments); writes μ and r
//   layerNormGrad(heap, dy, x, w, mean, rstd, dx, dw, db, rows, c)
//     with x̂ = (x − μ)·r and g = dy·w: dx = r·(g − mean(g) − x̂·mean(g·x̂)) per row; dw += Σ_rows dy·x̂ and
//     db += Σ_rows dy (the caller zeroes them)
// Channels in vectors of 16, then 4, then single floats; compiled for AVX-512, AVX2+FMA and the baseline instruction
// set, chosen at load (isa.h). eps is a float; every other argument an integer (offsets in bytes).
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "heap_args.h"
#include "isa.h"
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((vector_size(64), aligned(4), may_alias));
typedef float v4 __attribute__((vector_size(16), aligned(4), may_alias));
#define L16(p) (*(const v16 *)(p))
#define L4(p) (*(const v4 *)(p))

static AI float sum16(v16 v) {
  float s = 0;
  for (int l = 0; l < 16; l++) s += v[l];
  return s;
}

static AI float sum4(v4 v) {
  return (v[0] + v[1]) + (v[2] + v[3]);
}

static AI void layer_norm_any(const float *x, const float *w, const float *b, float *y, float *mean, float *rstd,
                              int64_t rows, int64_t c, float eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
    v16 s16 = {0};
    v4 s4 = {0};
    float sum = 0;
    int64_t i = 0;
    for (; i + 16 <= c; i += 16) s16 += L16(xr + i);
    for (; i + 4 <= c; i += 4) s4 += L4(xr + i);
    for (; i < c; i++) sum += xr[i];
    const float mu = (sum16(s16) + sum4(s4) + sum) / (float)c;
    v16 q16 = {0};
    v4 q4 = {0};
    float sq = 0;
    for (i = 0; i + 16 <= c; i += 16) {
      const v16 d = L16(xr + i) - mu;
      q16 += d * d;
    }
    for (; i + 4 <= c; i += 4) {
      const v4 d = L4(xr + i) - mu;
      q4 += d * d;
    }
    for (; i < c; i++) sq += (xr[i] - mu) * (xr[i] - mu);
    const float rs = 1.0f / sqrtf((sum16(q16) + sum4(q4) + sq) / (float)c + eps);
    for (i = 0; i + 16 <= c; i += 16) *(v16 *)(yr + i) = (L16(xr + i) - mu) * rs * L16(w + i) + L16(b + i);
    for (; i + 4 <= c; i += 4) *(v4 *)(yr + i) = (L4(xr + i) - mu) * rs * L4(w + i) + L4(b + i);
    for (; i < c; i++) yr[i] = (xr[i] - mu) * rs * w[i] + b[i];
    mean[r] = mu;
    rstd[r] = rs;
  }
}

static AI void layer_norm_grad_any(const float *dy, const float *x, const float *w, const float *mean, const float *rstd,
                                   float *dx, float *dw, float *db, int64_t rows, int64_t c) {
  for (int64_t r = 0; r < rows; r++) {
    const float *dyr = dy + r * c, *xr = x + r * c;
    float *dxr = dx + r * c;
    const float mu = mean[r], rs = rstd[r];
    v16 g16 = {0}, gx16 = {0};
    v4 g4 = {0}, gx4 = {0};
    float sg = 0, sgx = 0;
    int64_t i = 0;
    for (; i + 16 <= c; i += 16) {
      const v16 d = L16(dyr + i), xh = (L16(xr + i) - mu) * rs, g = d * L16(w + i);
      g16 += g;
      gx16 += g * xh;
      *(v16 *)(dw + i) = L16(dw + i) + d * xh;
      *(v16 *)(db + i) = L16(db + i) + d;
    }
    for (; i + 4 <= c; i += 4) {
      const v4 d = L4(dyr + i), xh = (L4(xr + i) - mu) * rs, g = d * L4(w + i);
      g4 += g;
      gx4 += g * xh;
      *(v4 *)(dw + i) = L4(dw + i) + d * xh;
      *(v4 *)(db + i) = L4(db + i) + d;
    }
    for (; i < c; i++) {
      const float d = dyr[i], xh = (xr[i] - mu) * rs, g = d * w[i];
      sg += g;
      sgx += g * xh;
      dw[i] += d * xh;
      db[i] += d;
    }
    const float mg = (sum16(g16) + sum4(g4) + sg) / (float)c, mgx = (sum16(gx16) + sum4(gx4) + sgx) / (float)c;
    for (i = 0; i + 16 <= c; i += 16) {
      const v16 xh = (L16(xr + i) - mu) * rs;
      *(v16 *)(dxr + i) = rs * (L16(dyr + i) * L16(w + i) - mg - xh * mgx);
    }
    for (; i + 4 <= c; i += 4) {
      const v4 xh = (L4(xr + i) - mu) * rs;
      *(v4 *)(dxr + i) = rs * (L4(dyr + i) * L4(w + i) - mg - xh * mgx);
    }
    for (; i < c; i++) dxr[i] = rs * (dyr[i] * w[i] - mg - (xr[i] - mu) * rs * mgx);
  }
}

typedef struct {
  void (*forward)(const float *, const float *, const float *, float *, float *, float *, int64_t, int64_t, float);
  void (*grad)(const float *, const float *, const float *, const float *, const float *, float *, float *, float *,
               int64_t, int64_t);
} LayerNormKernels;

#define LN_ENTRIES(isa, attr)                                                                                    \
  attr static void ln_##isa(const float *x, const float *w, const float *b, float *y, float *mean, float *rstd, \
                            int64_t rows, int64_t c, float eps) {                                                \
    layer_norm_any(x, w, b, y, mean, rstd, rows, c, eps);                                                        \
  }                                                                                                              \
  attr static void ln_grad_##isa(const float *dy, const float *x, const float *w, const float *mean,             \
                                 const float *rstd, float *dx, float *dw, float *db, int64_t rows, int64_t c) {  \
    layer_norm_grad_any(dy, x, w, mean, rstd, dx, dw, db, rows, c);                                              \
  }                                                                                                              \
  static const LayerNormKernels ln_kernels_##isa = {ln_##isa, ln_grad_##isa};

#if defined(__x86_64__)
LN_ENTRIES(avx512, TARGET_AVX512)
LN_ENTRIES(avx2, TARGET_AVX2)
#endif
LN_ENTRIES(base, )

static const LayerNormKernels *ln_kernels = &ln_kernels_base;

/** The build for the widest instruction set this CPU runs (isa.h). */
static void choose_ln_kernels(void) {
  switch (native_isa()) {
#if defined(__x86_64__)
    case ISA_AVX512: ln_kernels = &ln_kernels_avx512; break;
    case ISA_AVX2: ln_kernels = &ln_kernels_avx2; break;
#endif
    default: ln_kernels = &ln_kernels_base;
  }
}

/** rows·c, or -1 when it overflows (then it is larger than any heap). */
static int64_t elements(int64_t rows, int64_t c) {
  int64_t n;
  return __builtin_mul_overflow(rows, c, &n) ? -1 : n;
}

static napi_value layer_norm(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "layerNorm", 10, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[8];
  double eps;
  if (heap == NULL || !read_ints(env, argv, 1, 8, v)) return NULL;
  if (napi_get_value_double(env, argv[9], &eps) != napi_ok) {
    napi_throw_type_error(env, NULL, "nextnets native: layerNorm's eps must be a number");
    return NULL;
  }
  const int64_t rows = v[6], c = v[7], n = elements(rows, c);
  if (!in_heap(env, length, v[0], n < 0 ? INT64_MAX / 8 : n, "x") || !in_heap(env, length, v[1], c, "weight") ||
      !in_heap(env, length, v[2], c, "bias") || !in_heap(env, length, v[3], n, "y") ||
      !in_heap(env, length, v[4], rows, "mean") || !in_heap(env, length, v[5], rows, "rstd"))
    return NULL;
  if (c == 0) return NULL;
  ln_kernels->forward((const float *)(heap + v[0]), (const float *)(heap + v[1]), (const float *)(heap + v[2]),
                      (float *)(heap + v[3]), (float *)(heap + v[4]), (float *)(heap + v[5]), rows, c, (float)eps);
  return NULL;
}

static napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "layerNormGrad", 11, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[10];
  if (heap == NULL || !read_ints(env, argv, 1, 10, v)) return NULL;
  const int64_t rows = v[8], c = v[9], n = elements(rows, c);
  if (!in_heap(env, length, v[0], n < 0 ? INT64_MAX / 8 : n, "dy") || !in_heap(env, length, v[1], n, "x") ||
      !in_heap(env, length, v[2], c, "weight") || !in_heap(env, length, v[3], rows, "mean") ||
      !in_heap(env, length, v[4], rows, "rstd") || !in_heap(env, length, v[5], n, "dx") ||
      !in_heap(env, length, v[6], c, "dw") || !in_heap(env, length, v[7], c, "db"))
    return NULL;
  if (c == 0) return NULL;
  ln_kernels->grad((const float *)(heap + v[0]), (const float *)(heap + v[1]), (const float *)(heap + v[2]),
                   (const float *)(heap + v[3]), (const float *)(heap + v[4]), (float *)(heap + v[5]),
                   (float *)(heap + v[6]), (float *)(heap + v[7]), rows, c);
  return NULL;
}

void register_layer_norm(napi_env env, napi_value exports) {
  choose_ln_kernels();
  export_function(env, exports, "layerNorm", layer_norm);
  export_function(env, exports, "layerNormGrad", layer_norm_grad);
}
