// BatchNorm (training mode, batch statistics over every axis but the last), SiLU, and BatchNorm followed by SiLU,
// forward and backward, on the wasm backend's heap in place: the contract of @nextnets/backend's wasm kernels
// (assembly/simd.ts batchNorm / batchNormGrad, assembly/silu.ts, src/kernels/batch_norm_silu.ts); pointers are byte
// offsets of tensors inside the ArrayBuffer of the wasm memory.
//   batchNorm(heap, x, w, b, y, mean, variance, scale, rows, c, eps): x [rows, c]; mean and biased variance per channel,
//     y = (x − mean)·s + b with s = w/√(variance + eps) (kept in `scale`, c floats).
//   batchNormGrad(heap, dy, x, w, mean, variance, dx, dw, db, scratch, rows, c, eps): with r = 1/√(variance + eps),
//     x̂ = (x − mean)·r over all rows: db = Σ dy, dw = Σ dy·x̂, dx = w·r·(dy − db/N − x̂·dw/N); scratch holds 3c floats.
//   batchNormSilu(heap, x, w, b, z, …): as batchNorm, z = SiLU(y) written instead of y.
//   batchNormSiluGrad(heap, dy, x, w, b, mean, variance, dx, dw, db, scratch, rows, c, eps): batchNormGrad of
//     g = dy·SiLU'(y), y recomputed from x and the statistics in both passes (neither y nor g is written out).
//   silu(heap, x, y, n): y = x·σ(x) (Ramachandran et al. 2017); siluGrad(heap, x, dy, dx, n): dx = dy·σ·(1 + x·(1 − σ)).
// wasm runs these memory-bound passes 4 floats at a time; here GCC vectorises the loops for AVX-512, AVX2 or SSE2,
// picked at load time (target_clones), so the addon runs on any x86-64 CPU (no -march=native). The channel sums
// accumulate in double, one pass for both statistics around a per-channel shift (the first row), which keeps the
// variance exact to float precision without the second read of x that the two-pass wasm kernel needs.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "heap_args.h"

// target_clones needs ifunc: glibc (not musl)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

// exp(v) for v ≤ 0 (clamped at −87), as in @nextnets/backend's assembly/vec_math.ts: v = n·ln2 + r, |r| ≤ ln2/2,
// e^r by its degree-7 Taylor polynomial (relative error < 2e-8), 2ⁿ assembled in the float exponent bits. Written
// so that GCC vectorises it (no libm call, the rounding by adding 1.5·2²³).
static inline float exp_non_positive(float v) {
  float x = v < -87.0f ? -87.0f : v;
  float shifted = x * 1.4426950408889634f + 12582912.0f;
  float n = shifted - 12582912.0f;
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
  // 2ⁿ: the rounded sum's bits minus those of 1.5·2²³ are n (same exponent), moved into the exponent field
  int32_t sbits, base;
  float magic = 12582912.0f;
  memcpy(&sbits, &shifted, sizeof sbits);
  memcpy(&base, &magic, sizeof base);
  int32_t pow_bits = (sbits - base + 127) << 23;
  float pow2;
  memcpy(&pow2, &pow_bits, sizeof pow2);
  return p * pow2;
}

// σ(v) from e = exp(−|v|) ≤ 1 (no overflow for any v): 1/(1 + e) where v ≥ 0, e/(1 + e) where v < 0.
static inline float sigmoid(float v) {
  float e = exp_non_positive(-fabsf(v));
  float r = 1.0f / (1.0f + e);
  return v < 0 ? e * r : r;
}

VECTOR_CLONES
static void silu(const float *restrict x, float *restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * sigmoid(x[i]);
}

VECTOR_CLONES
static void silu_grad(const float *restrict x, const float *restrict dy, float *restrict dx, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float s = sigmoid(x[i]);
    dx[i] = dy[i] * (s * x[i] * (1.0f - s) + s);
  }
}

// Layout of the BatchNorm passes. x is [rows, c] with c often small (16, 24, 32, 48 in EfficientNet's early stages):
// a loop per row would spend its time in vector prologues and tails. Instead rows go `group` at a time as one flat
// run of T = group·c floats (T a multiple of 16, at least 512), against per-channel values repeated `group` times
// (tiles of T floats); a last run of fewer rows uses a prefix of the tiles. Channel sums accumulate in float tiles
// over at most FLUSH runs, then fold into per-channel doubles: short float chains, the long ones in double.
enum { FLUSH = 32 };

typedef struct {
  int64_t rows, c, group, t; // t = group·c
} layout;

static layout layout_of(int64_t rows, int64_t c) {
  int64_t g = 1;
  while ((g * c) % 16 != 0) g *= 2;
  while (g * c < 512) g *= 2;
  layout l = {rows, c, g, g * c};
  return l;
}

// tile[j] = v[j mod c] for j < t
static void fill_tile(float *tile, const float *v, layout l) {
  for (int64_t q = 0; q < l.t; q += l.c) memcpy(tile + q, v, (size_t)l.c * sizeof(float));
}

// f1 += d, f2 += d² with d = x − shift over `runs` runs of n floats
VECTOR_CLONES
static void stats_runs(const float *restrict x, int64_t runs, int64_t n, const float *restrict shift,
                       float *restrict f1, float *restrict f2) {
  for (int64_t r = 0; r < runs; r++) {
    const float *run = x + r * n;
    for (int64_t j = 0; j < n; j++) {
      float d = run[j] - shift[j];
      f1[j] += d;
      f2[j] += d * d;
    }
  }
}

// The upstream gradient g of BatchNorm's output: dy itself, or dy·SiLU'(y) with y = xc·s + b recomputed.
static inline float silu_upstream(float dy, float xc, float s, float b) {
  float v = xc * s + b;
  float sg = sigmoid(v);
  return dy * (sg * v * (1.0f - sg) + sg);
}

// f1 += g, f2 += g·(x − mean) over `runs` runs of n floats
VECTOR_CLONES
static void grad_sums_runs(const float *restrict dy, const float *restrict x, int64_t runs, int64_t n,
                           const float *restrict mean, const float *restrict s, const float *restrict b, int with_silu,
                           float *restrict f1, float *restrict f2) {
  for (int64_t r = 0; r < runs; r++) {
    const float *gy = dy + r * n, *run = x + r * n;
    if (with_silu) {
      for (int64_t j = 0; j < n; j++) {
        float xc = run[j] - mean[j];
        float g = silu_upstream(gy[j], xc, s[j], b[j]);
        f1[j] += g;
        f2[j] += g * xc;
      }
    } else {
      for (int64_t j = 0; j < n; j++) {
        f1[j] += gy[j];
        f2[j] += gy[j] * (run[j] - mean[j]);
      }
    }
  }
}

// Runs of the statistics pass over all rows: fills sums (2c doubles: Σd, Σd² per channel, or Σg, Σg·xc)
typedef void (*sums_fn)(const void *ctx, int64_t row0, int64_t runs, int64_t n, float *f1, float *f2);

// f1/f2 over `runs` runs of n floats from row0, folded into the per-channel doubles s1/s2
static void sums_block(layout l, sums_fn fn, const void *ctx, int64_t row0, int64_t runs, int64_t n, float *f1, float *f2,
                       double *s1, double *s2) {
  memset(f1, 0, (size_t)n * sizeof(float));
  memset(f2, 0, (size_t)n * sizeof(float));
  fn(ctx, row0, runs, n, f1, f2);
  for (int64_t q = 0; q < n; q += l.c) { // n is a whole number of rows
    for (int64_t i = 0; i < l.c; i++) {
      s1[i] += f1[q + i];
      s2[i] += f2[q + i];
    }
  }
}

static void channel_sums(layout l, sums_fn fn, const void *ctx, float *f1, float *f2, double *sums) {
  double *s1 = sums, *s2 = sums + l.c;
  for (int64_t i = 0; i < l.c; i++) s1[i] = s2[i] = 0;
  int64_t full = l.rows / l.group, tail = l.rows - full * l.group;
  for (int64_t k = 0; k < full; k += FLUSH)
    sums_block(l, fn, ctx, k * l.group, full - k < FLUSH ? full - k : FLUSH, l.t, f1, f2, s1, s2);
  if (tail > 0) sums_block(l, fn, ctx, full * l.group, 1, tail * l.c, f1, f2, s1, s2);
}

typedef struct {
  const float *x, *shift;
  int64_t c;
} stats_ctx;

static void stats_fn(const void *p, int64_t row0, int64_t runs, int64_t n, float *f1, float *f2) {
  const stats_ctx *ctx = p;
  stats_runs(ctx->x + row0 * ctx->c, runs, n, ctx->shift, f1, f2);
}

typedef struct {
  const float *dy, *x, *mean, *s, *b;
  int64_t c;
  int with_silu;
} grad_ctx;

static void grad_fn(const void *p, int64_t row0, int64_t runs, int64_t n, float *f1, float *f2) {
  const grad_ctx *ctx = p;
  grad_sums_runs(ctx->dy + row0 * ctx->c, ctx->x + row0 * ctx->c, runs, n, ctx->mean, ctx->s, ctx->b, ctx->with_silu,
                 f1, f2);
}

// Workspace of one BatchNorm call: `tiles` tiles of t floats, then 2c doubles; NULL after throwing.
static float *workspace(napi_env env, layout l, int tiles, double **sums) {
  float *block = malloc((size_t)(tiles * l.t) * sizeof(float) + (size_t)(2 * l.c) * sizeof(double));
  if (block == NULL) napi_throw_error(env, NULL, "nextnets native batchNorm: out of memory");
  else *sums = (double *)(block + tiles * l.t);
  return block;
}

// mean and biased variance per channel in one pass, from sums of d = x − shift and d² around the first row (no
// cancellation when |mean| ≫ std)
static void channel_stats(const float *x, layout l, float *mean, float *variance, float *ws, double *sums) {
  float *f1 = ws, *f2 = ws + l.t, *shift = ws + 2 * l.t;
  fill_tile(shift, x, l);
  stats_ctx ctx = {x, shift, l.c};
  channel_sums(l, stats_fn, &ctx, f1, f2, sums);
  const double n = (double)l.rows;
  for (int64_t i = 0; i < l.c; i++) {
    double m = sums[i] / n;
    double v = sums[l.c + i] / n - m * m;
    mean[i] = (float)((double)x[i] + m);
    variance[i] = (float)(v > 0 ? v : 0);
  }
}

// s = w/√(variance + eps) from the float variance, so that a gradient recomputing y from the saved statistics gets
// the forward's values exactly.
static void affine_scale(const float *w, const float *variance, float eps, float *scale, int64_t c) {
  for (int64_t i = 0; i < c; i++) scale[i] = (float)((double)w[i] / sqrt((double)variance[i] + (double)eps));
}

// y = (x − mean)·s + b over `runs` runs of n floats, or SiLU of it when `with_silu`
VECTOR_CLONES
static void normalize_runs(const float *restrict x, float *restrict y, int64_t runs, int64_t n,
                           const float *restrict mean, const float *restrict s, const float *restrict b, int with_silu) {
  for (int64_t r = 0; r < runs; r++) {
    const float *run = x + r * n;
    float *out = y + r * n;
    if (with_silu) {
      for (int64_t j = 0; j < n; j++) {
        float v = (run[j] - mean[j]) * s[j] + b[j];
        out[j] = v * sigmoid(v);
      }
    } else {
      for (int64_t j = 0; j < n; j++) out[j] = (run[j] - mean[j]) * s[j] + b[j];
    }
  }
}

// dx = s·(g − k1 − (x − mean)·k2) over `runs` runs of n floats
VECTOR_CLONES
static void grad_dx_runs(const float *restrict dy, const float *restrict x, float *restrict dx, int64_t runs, int64_t n,
                         const float *restrict mean, const float *restrict s, const float *restrict b,
                         const float *restrict k1, const float *restrict k2, int with_silu) {
  for (int64_t r = 0; r < runs; r++) {
    const float *gy = dy + r * n, *run = x + r * n;
    float *out = dx + r * n;
    if (with_silu) {
      for (int64_t j = 0; j < n; j++) {
        float xc = run[j] - mean[j];
        float g = silu_upstream(gy[j], xc, s[j], b[j]);
        out[j] = s[j] * (g - k1[j] - xc * k2[j]);
      }
    } else {
      for (int64_t j = 0; j < n; j++) out[j] = s[j] * (gy[j] - k1[j] - (run[j] - mean[j]) * k2[j]);
    }
  }
}

// A per-row pass over whole groups, then the last rows with a prefix of the tiles.
#define OVER_RUNS(l, call_full, call_tail)                                  \
  do {                                                                      \
    int64_t full_ = (l).rows / (l).group, tail_ = (l).rows - full_ * (l).group; \
    if (full_ > 0) call_full;                                               \
    if (tail_ > 0) call_tail;                                               \
  } while (0)

static void batch_norm(const float *x, const float *w, const float *b, float *y, float *mean, float *variance,
                       float *scale, layout l, float eps, int with_silu, float *ws, double *sums) {
  channel_stats(x, l, mean, variance, ws, sums);
  affine_scale(w, variance, eps, scale, l.c);
  float *mean_t = ws, *s_t = ws + l.t, *b_t = ws + 2 * l.t;
  fill_tile(mean_t, mean, l);
  fill_tile(s_t, scale, l);
  fill_tile(b_t, b, l);
  int64_t off = (l.rows / l.group) * l.t;
  OVER_RUNS(l, normalize_runs(x, y, l.rows / l.group, l.t, mean_t, s_t, b_t, with_silu),
            normalize_runs(x + off, y + off, 1, (l.rows % l.group) * l.c, mean_t, s_t, b_t, with_silu));
}

// With r = 1/√(variance + eps), x̂ = (x − mean)·r: db = Σ g, dw = Σ g·x̂, dx = w·r·(g − db/N − x̂·dw/N) (scratch: 3c
// floats, s = w·r, k1 = db/N, k2 = r·dw/N). g is recomputed in the second pass rather than stored.
static void batch_norm_backward(const float *dy, const float *x, const float *w, const float *b, const float *mean,
                                const float *variance, float *dx, float *dw, float *db, float *scratch, layout l,
                                float eps, int with_silu, float *ws, double *sums) {
  float *s = scratch, *k1 = scratch + l.c, *k2 = scratch + 2 * l.c;
  affine_scale(w, variance, eps, s, l.c);
  float *f1 = ws, *f2 = ws + l.t, *mean_t = ws + 2 * l.t, *s_t = ws + 3 * l.t, *b_t = ws + 4 * l.t;
  float *k1_t = ws + 5 * l.t, *k2_t = ws + 6 * l.t;
  fill_tile(mean_t, mean, l);
  fill_tile(s_t, s, l);
  fill_tile(b_t, b, l);
  grad_ctx ctx = {dy, x, mean_t, s_t, b_t, l.c, with_silu};
  channel_sums(l, grad_fn, &ctx, f1, f2, sums);
  const double n = (double)l.rows;
  for (int64_t i = 0; i < l.c; i++) {
    double rs = 1.0 / sqrt((double)variance[i] + (double)eps);
    double dwi = sums[l.c + i] * rs;
    dw[i] = (float)dwi;
    db[i] = (float)sums[i];
    k1[i] = (float)(sums[i] / n);
    k2[i] = (float)(rs * dwi / n);
  }
  fill_tile(k1_t, k1, l);
  fill_tile(k2_t, k2, l);
  int64_t off = (l.rows / l.group) * l.t;
  OVER_RUNS(l, grad_dx_runs(dy, x, dx, l.rows / l.group, l.t, mean_t, s_t, b_t, k1_t, k2_t, with_silu),
            grad_dx_runs(dy + off, x + off, dx + off, 1, (l.rows % l.group) * l.c, mean_t, s_t, b_t, k1_t, k2_t, with_silu));
}

// eps, a float argument
static int read_eps(napi_env env, napi_value value, float *eps) {
  double v;
  if (napi_get_value_double(env, value, &v) != napi_ok || !(v >= 0)) {
    napi_throw_type_error(env, NULL, "nextnets native batchNorm: eps must be a non-negative number");
    return 0;
  }
  *eps = (float)v;
  return 1;
}

// rows·c floats fit the heap (checked before the products below can overflow)
static int tensor_size(napi_env env, size_t length, int64_t rows, int64_t c, int64_t *count) {
  if (c > 0 && rows > (int64_t)(length / 4) / c) {
    napi_throw_range_error(env, NULL, "nextnets native batchNorm: rows·c floats exceed the heap");
    return 0;
  }
  *count = rows * c;
  return 1;
}

// batchNorm / batchNormSilu(heap, x, w, b, y, mean, variance, scale, rows, c, eps)
static napi_value forward_js(napi_env env, napi_callback_info info, const char *name, int with_silu) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, name, 11, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[9], count;
  float eps;
  if (heap == NULL || !read_ints(env, argv, 1, 9, v) || !read_eps(env, argv[10], &eps)) return NULL;
  int64_t x = v[0], w = v[1], b = v[2], y = v[3], mean = v[4], variance = v[5], scale = v[6], rows = v[7], c = v[8];
  if (!tensor_size(env, length, rows, c, &count)) return NULL;
  if (rows == 0 || c == 0) return NULL;
  if (!in_heap(env, length, x, count, "x") || !in_heap(env, length, y, count, "y") || !in_heap(env, length, w, c, "weight") ||
      !in_heap(env, length, b, c, "bias") || !in_heap(env, length, mean, c, "mean") ||
      !in_heap(env, length, variance, c, "variance") || !in_heap(env, length, scale, c, "scale"))
    return NULL;
  layout l = layout_of(rows, c);
  double *sums;
  float *ws = workspace(env, l, 3, &sums);
  if (ws == NULL) return NULL;
  batch_norm((const float *)(heap + x), (const float *)(heap + w), (const float *)(heap + b), (float *)(heap + y),
             (float *)(heap + mean), (float *)(heap + variance), (float *)(heap + scale), l, eps, with_silu, ws, sums);
  free(ws);
  return NULL;
}

static napi_value batch_norm_js(napi_env env, napi_callback_info info) {
  return forward_js(env, info, "batchNorm", 0);
}

static napi_value batch_norm_silu_js(napi_env env, napi_callback_info info) {
  return forward_js(env, info, "batchNormSilu", 1);
}

// batchNormGrad(heap, dy, x, w, mean, variance, dx, dw, db, scratch, rows, c, eps), and batchNormSiluGrad with the
// bias after w (the SiLU's input is recomputed from x and the statistics).
static napi_value backward_js(napi_env env, napi_callback_info info, const char *name, int with_silu) {
  napi_value argv[MAX_ARGS];
  size_t nints = with_silu ? 12 : 11;
  if (!take_args(env, info, name, nints + 2, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[12], count;
  float eps;
  if (heap == NULL || !read_ints(env, argv, 1, nints, v) || !read_eps(env, argv[nints + 1], &eps)) return NULL;
  int64_t *p = v;
  int64_t dy = *p++, x = *p++, w = *p++, b = with_silu ? *p++ : w, mean = *p++, variance = *p++, dx = *p++;
  int64_t dw = *p++, db = *p++, scratch = *p++, rows = *p++, c = *p++;
  if (!tensor_size(env, length, rows, c, &count)) return NULL;
  if (rows == 0 || c == 0) return NULL;
  if (!in_heap(env, length, dy, count, "dy") || !in_heap(env, length, x, count, "x") || !in_heap(env, length, dx, count, "dx") ||
      !in_heap(env, length, w, c, "weight") || !in_heap(env, length, b, c, "bias") || !in_heap(env, length, mean, c, "mean") ||
      !in_heap(env, length, variance, c, "variance") || !in_heap(env, length, dw, c, "dw") ||
      !in_heap(env, length, db, c, "db") || !in_heap(env, length, scratch, 3 * c, "scratch"))
    return NULL;
  layout l = layout_of(rows, c);
  double *sums;
  float *ws = workspace(env, l, 7, &sums);
  if (ws == NULL) return NULL;
  batch_norm_backward((const float *)(heap + dy), (const float *)(heap + x), (const float *)(heap + w),
                      (const float *)(heap + b), (const float *)(heap + mean), (const float *)(heap + variance),
                      (float *)(heap + dx), (float *)(heap + dw), (float *)(heap + db), (float *)(heap + scratch), l, eps,
                      with_silu, ws, sums);
  free(ws);
  return NULL;
}

static napi_value batch_norm_grad_js(napi_env env, napi_callback_info info) {
  return backward_js(env, info, "batchNormGrad", 0);
}

static napi_value batch_norm_silu_grad_js(napi_env env, napi_callback_info info) {
  return backward_js(env, info, "batchNormSiluGrad", 1);
}

static napi_value silu_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "silu", 4, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[3];
  if (heap == NULL || !read_ints(env, argv, 1, 3, v)) return NULL;
  if (v[2] > (int64_t)(length / 4)) return (napi_throw_range_error(env, NULL, "nextnets native silu: n exceeds the heap"), NULL);
  if (!in_heap(env, length, v[0], v[2], "x") || !in_heap(env, length, v[1], v[2], "y")) return NULL;
  silu((const float *)(heap + v[0]), (float *)(heap + v[1]), v[2]);
  return NULL;
}

static napi_value silu_grad_js(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "siluGrad", 5, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[4];
  if (heap == NULL || !read_ints(env, argv, 1, 4, v)) return NULL;
  if (v[3] > (int64_t)(length / 4)) return (napi_throw_range_error(env, NULL, "nextnets native siluGrad: n exceeds the heap"), NULL);
  if (!in_heap(env, length, v[0], v[3], "x") || !in_heap(env, length, v[1], v[3], "dy") ||
      !in_heap(env, length, v[2], v[3], "dx"))
    return NULL;
  silu_grad((const float *)(heap + v[0]), (const float *)(heap + v[1]), (float *)(heap + v[2]), v[3]);
  return NULL;
}

// True when the loops above run vectorised: the AVX2 or AVX-512 clone on this CPU. Elsewhere (the SSE2 clone, which
// GCC does not vectorise for SiLU's selects, or a build without clones) the wasm SIMD kernels are faster.
static int vectorized(void) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__GLIBC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
#else
  return 0;
#endif
}

void register_norm_act(napi_env env, napi_value exports) {
  napi_value flag;
  napi_get_boolean(env, vectorized(), &flag);
  napi_set_named_property(env, exports, "normActVectorized", flag);
  export_function(env, exports, "batchNorm", batch_norm_js);
  export_function(env, exports, "batchNormGrad", batch_norm_grad_js);
  export_function(env, exports, "batchNormSilu", batch_norm_silu_js);
  export_function(env, exports, "batchNormSiluGrad", batch_norm_silu_grad_js);
  export_function(env, exports, "silu", silu_js);
  export_function(env, exports, "siluGrad", silu_grad_js);
}
