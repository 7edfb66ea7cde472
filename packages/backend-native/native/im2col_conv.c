// Dense convolution (NHWC float32, filter [kH, kW, C, outC] as tfjs keeps it) by im2col in blocks and the addon's
// GEMM (heap_gemm.h), in place on the wasm heap: for a block of output pixels the patches P [rows, K] (K = kH·kW·C,
// one row per pixel, taps in (fh, fw, c) order, zeros outside the input) are gathered into a per-thread buffer of
// ~256 KiB that stays in L2, then
//   im2colConvForward(heap, ...geometry, x, w, bias, out)   out[rows] = P·W + bias        (W read in place as [K, outC])
//   im2colConvBackpropInput(heap, ...geometry, dy, w, dx)   dP = dy[rows]·Wᵀ, added into dx where the taps lie (col2im);
//                                                           at stride 1 with outC ≤ C, a forward pass over dy instead
//   im2colConvBackpropFilter(heap, ...geometry, x, dy, dW)  dW += Pᵀ·dy[rows] over the blocks
// with the 15 geometry numbers of conv_args.h (dense: outC last). One GEMM of depth K per block instead of one of
// depth C per tap: the classic lowering of convolutions to matrix products (K. Chellapilla, S. Puri, P. Simard,
// "High performance convolutional neural networks for document processing", 2006), blocked so that the patch
// matrix is never materialised whole. It pays where C is small (EfficientNetV2's 3-channel stem, 16-channel
// layers), where the per-tap GEMMs of @nextnets/backend's shifted route are too shallow.
#include <stdlib.h>
#include <string.h>
#include "conv_args.h"
#include "heap_gemm.h"
#include "isa.h"
#include "thread_scratch.h"

/** Floats of the patch buffer per block (256 KiB): rows = this / K, at least MIN_BLOCK_ROWS. */
enum { PATCH_FLOATS = 1 << 16, MIN_BLOCK_ROWS = 48 };

static int64_t block_rows(int64_t K, int64_t pixels) {
  int64_t rows = PATCH_FLOATS / (K > 0 ? K : 1);
  if (rows < MIN_BLOCK_ROWS) rows = MIN_BLOCK_ROWS;
  return rows < pixels ? rows : pixels;
}

#define LD(type, p) (*(const type *)(p))
#define ST(type, p, v) (*(type *)(p) = (v))

/** d[0 .. n) = s[0 .. n): whole vectors, the last one overlapping the one before (a tap row of 3 channels is 9 floats). */
static AI void copy_floats(float *restrict d, const float *restrict s, int64_t n) {
  if (n >= 16) {
    for (int64_t i = 0; i + 16 <= n; i += 16) ST(vf16, d + i, LD(vf16, s + i));
    if (n % 16 != 0) ST(vf16, d + n - 16, LD(vf16, s + n - 16));
  } else if (n >= 8) {
    ST(vf8, d, LD(vf8, s));
    ST(vf8, d + n - 8, LD(vf8, s + n - 8));
  } else if (n >= 4) {
    ST(vf4, d, LD(vf4, s));
    ST(vf4, d + n - 4, LD(vf4, s + n - 4));
  } else {
    for (int64_t i = 0; i < n; i++) d[i] = s[i];
  }
}

/** d[0 .. n) = 0, like copy_floats. */
static AI void zero_floats(float *d, int64_t n) {
  const vf16 z = {0};
  if (n >= 16) {
    for (int64_t i = 0; i + 16 <= n; i += 16) ST(vf16, d + i, z);
    if (n % 16 != 0) ST(vf16, d + n - 16, z);
  } else if (n >= 8) {
    ST(vf8, d, (vf8){0});
    ST(vf8, d + n - 8, (vf8){0});
  } else if (n >= 4) {
    ST(vf4, d, (vf4){0});
    ST(vf4, d + n - 4, (vf4){0});
  } else {
    for (int64_t i = 0; i < n; i++) d[i] = 0.0f;
  }
}

/** d[0 .. n) += s[0 .. n): vectors of 16, 8 and 4 floats, then single floats (no overlap: each is added once). */
static AI void add_floats(float *restrict d, const float *restrict s, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) ST(vf16, d + i, LD(vf16, d + i) + LD(vf16, s + i));
  if (i + 8 <= n) ST(vf8, d + i, LD(vf8, d + i) + LD(vf8, s + i)), i += 8;
  if (i + 4 <= n) ST(vf4, d + i, LD(vf4, d + i) + LD(vf4, s + i)), i += 4;
  for (; i < n; i++) d[i] += s[i];
}

/** An output pixel's coordinates, walked in NHWC order. */
typedef struct {
  int64_t b, oh, ow;
} Pixel;

static AI Pixel pixel_at(const Geometry *g, int64_t index) {
  return (Pixel){index / (g->outH * g->outW), (index / g->outW) % g->outH, index % g->outW};
}

static AI void next_pixel(const Geometry *g, Pixel *p) {
  if (++p->ow < g->outW) return;
  p->ow = 0;
  if (++p->oh < g->outH) return;
  p->oh = 0;
  p->b++;
}

/** Patch rows [start, start + rows) of x into `patches` [rows, K]. */
static AI void gather_any(const Geometry *g, const float *x, float *patches, int64_t start, int64_t rows) {
  const int64_t C = g->C, rowLen = g->kW * C, K = g->kH * rowLen;
  Pixel p = pixel_at(g, start);
  for (int64_t r = 0; r < rows; r++, next_pixel(g, &p)) {
    const int64_t iw0 = p.ow * g->sW - g->pl;
    // dilation 1 and every column tap inside: a tap row is one contiguous run of x
    const int wholeRow = g->dW == 1 && iw0 >= 0 && iw0 + g->kW <= g->inW;
    for (int64_t fh = 0; fh < g->kH; fh++) {
      float *d = patches + r * K + fh * rowLen;
      const int64_t ih = p.oh * g->sH - g->pt + fh * g->dH;
      if (ih < 0 || ih >= g->inH) {
        zero_floats(d, rowLen);
        continue;
      }
      const float *src = x + (p.b * g->inH + ih) * g->inW * C;
      if (wholeRow) {
        copy_floats(d, src + iw0 * C, rowLen);
        continue;
      }
      for (int64_t fw = 0; fw < g->kW; fw++) {
        const int64_t iw = iw0 + fw * g->dW;
        if (iw >= 0 && iw < g->inW) copy_floats(d + fw * C, src + iw * C, C);
        else zero_floats(d + fw * C, C);
      }
    }
  }
}

/** Adds patch rows [start, start + rows) of `patches` [rows, K] into dx where their taps lie inside it (col2im). */
static AI void scatter_any(const Geometry *g, const float *patches, float *dx, int64_t start, int64_t rows) {
  const int64_t C = g->C, rowLen = g->kW * C, K = g->kH * rowLen;
  Pixel p = pixel_at(g, start);
  for (int64_t r = 0; r < rows; r++, next_pixel(g, &p)) {
    const int64_t iw0 = p.ow * g->sW - g->pl;
    const int wholeRow = g->dW == 1 && iw0 >= 0 && iw0 + g->kW <= g->inW;
    for (int64_t fh = 0; fh < g->kH; fh++) {
      const int64_t ih = p.oh * g->sH - g->pt + fh * g->dH;
      if (ih < 0 || ih >= g->inH) continue;
      const float *s = patches + r * K + fh * rowLen;
      float *dst = dx + (p.b * g->inH + ih) * g->inW * C;
      if (wholeRow) {
        add_floats(dst + iw0 * C, s, rowLen);
        continue;
      }
      for (int64_t fw = 0; fw < g->kW; fw++) {
        const int64_t iw = iw0 + fw * g->dW;
        if (iw >= 0 && iw < g->inW) add_floats(dst + iw * C, s + fw * C, C);
      }
    }
  }
}

typedef struct {
  void (*gather)(const Geometry *, const float *, float *, int64_t, int64_t);
  void (*scatter)(const Geometry *, const float *, float *, int64_t, int64_t);
} CopyKernels;

// gather and scatter compiled for one instruction set each (the vector types above become zmm, ymm or xmm code).
#define IM2COL_ENTRIES(isa, attr)                                                                               \
  attr static void gather_##isa(const Geometry *g, const float *x, float *p, int64_t start, int64_t rows) {     \
    gather_any(g, x, p, start, rows);                                                                           \
  }                                                                                                             \
  attr static void scatter_##isa(const Geometry *g, const float *p, float *dx, int64_t start, int64_t rows) {   \
    scatter_any(g, p, dx, start, rows);                                                                         \
  }                                                                                                             \
  static const CopyKernels copies_##isa = {gather_##isa, scatter_##isa};

#if defined(__x86_64__)
IM2COL_ENTRIES(avx512, TARGET_AVX512)
IM2COL_ENTRIES(avx2, TARGET_AVX2)
#endif
IM2COL_ENTRIES(base, )

static const CopyKernels *copies = &copies_base;

/** out = im2col(x)·W + bias, block by block; false when the patch buffer cannot be allocated. */
static int forward_blocks(const Geometry *g, const float *x, const float *w, const float *bias, float *out) {
  const int64_t K = g->kH * g->kW * g->C, pixels = g->batch * g->outH * g->outW, block = block_rows(K, pixels);
  if (pixels == 0 || g->outC == 0) return 1;
  float *patches = thread_scratch(SCRATCH_IM2COL_PATCHES, (size_t)(block * K));
  if (patches == NULL) return 0;
  for (int64_t start = 0; start < pixels; start += block) {
    const int64_t rows = pixels - start < block ? pixels - start : block;
    copies->gather(g, x, patches, start, rows);
    native_sgemm(0, 0, rows, g->outC, K, patches, K, w, g->outC, out + start * g->outC, bias, 0, 0);
  }
  return 1;
}

static napi_value im2col_forward(napi_env env, napi_callback_info info) {
  static const int kinds[] = {CONV_INPUT, CONV_FILTER, CONV_BIAS, CONV_OUTPUT};
  static const char *const names[] = {"x", "filter", "bias", "out"};
  Geometry g;
  int64_t p[4];
  uint8_t *heap = take_conv_call(env, info, "im2colConvForward", 1, &g, 4, kinds, names, p);
  if (heap == NULL) return NULL;
  if (!forward_blocks(&g, (const float *)(heap + p[0]), (const float *)(heap + p[1]),
                      p[2] != 0 ? (const float *)(heap + p[2]) : NULL, (float *)(heap + p[3])))
    return conv_no_memory(env, "im2colConvForward");
  return NULL;
}

/**
 * Stride 1: dx[ih] = Σ_fh dy[ih + padTop − fh·dil]·W[fh]ᵀ is the forward convolution of dy with the filter flipped in
 * both spatial axes and its channel axes swapped (W'[FH−1−fh, FW−1−fw, o, i] = W[fh, fw, i, o]) at padding
 * (FH − 1)·dil − padTop (columns likewise): patches of dy (FH·FW·outC wide) instead of a scatter-add of FH·FW·C-wide
 * rows, and no zeroing of dx. False when out of memory.
 */
static int backprop_input_flipped(const Geometry *g, const float *dy, const float *w, float *dx) {
  const int64_t taps = g->kH * g->kW, C = g->C, O = g->outC;
  float *flipped = malloc((size_t)(taps * C * O > 0 ? taps * C * O : 1) * sizeof(float));
  if (flipped == NULL) return 0;
  for (int64_t t = 0; t < taps; t++)
    for (int64_t i = 0; i < C; i++)
      for (int64_t o = 0; o < O; o++) flipped[((taps - 1 - t) * O + o) * C + i] = w[(t * C + i) * O + o];
  const Geometry f = flipped_geometry(g);
  const int ok = forward_blocks(&f, dy, flipped, NULL, dx);
  free(flipped);
  return ok;
}

static napi_value im2col_backprop_input(napi_env env, napi_callback_info info) {
  static const int kinds[] = {CONV_OUTPUT, CONV_FILTER, CONV_INPUT};
  static const char *const names[] = {"dy", "filter", "dx"};
  Geometry g;
  int64_t p[3];
  uint8_t *heap = take_conv_call(env, info, "im2colConvBackpropInput", 1, &g, 3, kinds, names, p);
  if (heap == NULL) return NULL;
  const float *dy = (const float *)(heap + p[0]), *w = (const float *)(heap + p[1]);
  float *dx = (float *)(heap + p[2]);
  // stride 1 with no more output than input channels: the flipped forward gathers no wider rows than it would scatter
  if (g.sH == 1 && g.sW == 1 && g.outC <= g.C) {
    if (!backprop_input_flipped(&g, dy, w, dx)) return conv_no_memory(env, "im2colConvBackpropInput");
    return NULL;
  }
  const int64_t K = g.kH * g.kW * g.C, pixels = g.batch * g.outH * g.outW, block = block_rows(K, pixels);
  memset(dx, 0, (size_t)(g.batch * g.inH * g.inW * g.C) * sizeof(float));
  if (pixels == 0 || K == 0) return NULL;
  float *patches = thread_scratch(SCRATCH_IM2COL_PATCHES, (size_t)(block * K));
  if (patches == NULL) return conv_no_memory(env, "im2colConvBackpropInput");
  for (int64_t start = 0; start < pixels; start += block) {
    const int64_t rows = pixels - start < block ? pixels - start : block;
    // dP [rows, K] = dy [rows, outC] · Wᵀ, W [K, outC]
    native_sgemm(0, 1, rows, K, g.outC, dy + start * g.outC, g.outC, w, g.outC, patches, NULL, 0, 0);
    copies->scatter(&g, patches, dx, start, rows);
  }
  return NULL;
}

static napi_value im2col_backprop_filter(napi_env env, napi_callback_info info) {
  static const int kinds[] = {CONV_INPUT, CONV_OUTPUT, CONV_FILTER};
  static const char *const names[] = {"x", "dy", "dW"};
  Geometry g;
  int64_t p[3];
  uint8_t *heap = take_conv_call(env, info, "im2colConvBackpropFilter", 1, &g, 3, kinds, names, p);
  if (heap == NULL) return NULL;
  const float *x = (const float *)(heap + p[0]), *dy = (const float *)(heap + p[1]);
  float *dW = (float *)(heap + p[2]);
  const int64_t K = g.kH * g.kW * g.C, pixels = g.batch * g.outH * g.outW, block = block_rows(K, pixels);
  if (K == 0 || g.outC == 0) return NULL;
  if (pixels == 0) {
    memset(dW, 0, (size_t)(K * g.outC) * sizeof(float));
    return NULL;
  }
  float *patches = thread_scratch(SCRATCH_IM2COL_PATCHES, (size_t)(block * K));
  if (patches == NULL) return conv_no_memory(env, "im2colConvBackpropFilter");
  for (int64_t start = 0; start < pixels; start += block) {
    const int64_t rows = pixels - start < block ? pixels - start : block;
    copies->gather(&g, x, patches, start, rows);
    // dW [K, outC] (+)= Pᵀ·dy[rows]: the first block writes, the later ones add
    native_sgemm(1, 0, K, g.outC, rows, patches, K, dy + start * g.outC, g.outC, dW, NULL, 0, start > 0);
  }
  return NULL;
}

void register_im2col_conv(napi_env env, napi_value exports) {
  switch (native_isa()) {  // the widest instruction set this CPU runs (isa.h)
#if defined(__x86_64__)
    case ISA_AVX512: copies = &copies_avx512; break;
    case ISA_AVX2: copies = &copies_avx2; break;
#endif
    default: copies = &copies_base;
  }
  export_function(env, exports, "im2colConvForward", im2col_forward);
  export_function(env, exports, "im2colConvBackpropInput", im2col_backprop_input);
  export_function(env, exports, "im2colConvBackpropFilter", im2col_backprop_filter);
}
