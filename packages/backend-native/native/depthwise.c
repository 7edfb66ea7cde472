// Depthwise convolution (NHWC float32, channel multiplier 1) on the wasm heap, in place: the forward pass with an
// optional bias and both gradients, with the semantics of @nextnets/backend's wasm SIMD kernels
// (packages/backend/assembly/simd.ts). Every call takes the heap, the 14 geometry numbers of conv_args.h (input
// [batch, inH, inW, C], filter [kH, kW, C], output [batch, outH, outW, C]), then byte offsets:
//   depthwiseForward(heap, ...geometry, x, w, bias, out)   out = bias + Σ_taps x·w (bias 0: none)
//   depthwiseBackpropInput(heap, ...geometry, dy, w, dx)   dx = Σ over the outputs each input pixel reaches of dy·w
//   depthwiseBackpropFilter(heap, ...geometry, x, dy, dW)  dW = Σ over batch and output pixels of x·dy
// Single-threaded (one training replica per core). The loops run over channel vectors (16, 8 or 4 floats) and are
// compiled three times, for AVX-512, AVX2+FMA and the baseline x86-64/arm64 instruction set, one chosen at load
// (isa.h), so the addon runs on any CPU of its architecture.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conv_args.h"
#include "isa.h"

/** The first tap f whose input index o·stride − pad + f·dil is ≥ 0. */
static AI int64_t first_tap(int64_t o, int64_t stride, int64_t pad, int64_t dil) {
  const int64_t t = pad - o * stride;
  return t <= 0 ? 0 : (t + dil - 1) / dil;
}

/** One past the last tap f (at most k) whose input index o·stride − pad + f·dil is < limit; ≤ first_tap when none. */
static AI int64_t end_tap(int64_t o, int64_t stride, int64_t pad, int64_t dil, int64_t limit, int64_t k) {
  const int64_t t = limit - 1 - (o * stride - pad);
  if (t < 0) return 0;
  return t / dil + 1 < k ? t / dil + 1 : k;
}

/** Output index hit by input index i through tap f, or -1 when none (stride does not divide, or out of range). */
static AI int64_t source_index(int64_t i, int64_t f, int64_t pad, int64_t dil, int64_t stride, int64_t limit) {
  const int64_t t = i + pad - f * dil;
  if (t < 0 || t % stride != 0 || t / stride >= limit) return -1;
  return t / stride;
}

/** The first output o whose input index o·stride − pad + f·dil is ≥ 0. */
static AI int64_t first_output(int64_t f, int64_t dil, int64_t pad, int64_t stride) {
  const int64_t t = pad - f * dil;
  return t <= 0 ? 0 : (t + stride - 1) / stride;
}

/** One past the last output o (at most outLimit) whose input index o·stride − pad + f·dil is < inLimit. */
static AI int64_t end_output(int64_t f, int64_t dil, int64_t pad, int64_t stride, int64_t inLimit, int64_t outLimit) {
  const int64_t t = inLimit - 1 + pad - f * dil;
  if (t < 0) return 0;
  return t / stride + 1 < outLimit ? t / stride + 1 : outLimit;
}

/** The output columns [*a, *b) whose every column tap lies inside the input (empty when *b ≤ *a). */
static AI void interior_columns(const Geometry *g, int64_t *a, int64_t *b) {
  *a = g->pl <= 0 ? 0 : (g->pl + g->sW - 1) / g->sW;
  const int64_t t = g->inW - 1 + g->pl - (g->kW - 1) * g->dW;
  *b = t < 0 ? 0 : (t / g->sW + 1 < g->outW ? t / g->sW + 1 : g->outW);
}

/** The block of `width` channels starting at c, moved back to end at C when it would run past it (needs C ≥ width). */
static AI int64_t block_start(int64_t c, int64_t C, int64_t width) {
  return c + width <= C ? c : C - width;
}

/** Channels per vector block for C channels: the widest of 16, 8, 4, 1 that is not more than C. */
static int64_t block_width(int64_t C) {
  return C >= 16 ? 16 : C >= 8 ? 8 : C >= 4 ? 4 : 1;
}

// Channels per chunk of the 3×3 forward pass (four AVX-512 blocks, 1 KB of a pixel): an output row is computed chunk by
// chunk, pixel by pixel inside a chunk, so the input columns a pixel quad shares stay in L1 between quads.
#define DW3_CHUNK 64
// The largest filter height and width whose input-gradient gather (strides > 1) lists its taps per pixel.
#define DW_GATHER_MAX 16
#define DW_S 16
#define DW_V vf16
#include "depthwise_body.h"
#undef DW_S
#undef DW_V
#define DW_S 8
#define DW_V vf8
#include "depthwise_body.h"
#undef DW_S
#undef DW_V
#define DW_S 4
#define DW_V vf4
#include "depthwise_body.h"
#undef DW_S
#undef DW_V
#define DW_S 1
#define DW_V vf1
#include "depthwise_body.h"
#undef DW_S
#undef DW_V

// Each entry point takes blocks of at most `widest` channels: 16 on AVX-512; 8 on AVX2, whose 16-float blocks are two
// registers each and were spilled to the stack (that build ran the 7×7 layers 2.5-5× slower than with 8-float
// blocks); 16 on the baseline build (4 there was faster on large maps, slower on small ones).
static AI void forward_any(const Geometry *g, const float *x, const float *w, const float *bias, float *out, int64_t widest) {
  const int64_t width = block_width(g->C);
  switch (width < widest ? width : widest) {
    case 16: forward_16(g, x, w, bias, out); break;
    case 8: forward_8(g, x, w, bias, out); break;
    case 4: forward_4(g, x, w, bias, out); break;
    default: forward_1(g, x, w, bias, out);
  }
}

static AI void gather_any(const Geometry *g, const float *dy, const float *w, float *dx, int64_t widest) {
  const int64_t width = block_width(g->C);
  switch (width < widest ? width : widest) {
    case 16: backprop_input_gather_16(g, dy, w, dx); break;
    case 8: backprop_input_gather_8(g, dy, w, dx); break;
    case 4: backprop_input_gather_4(g, dy, w, dx); break;
    default: backprop_input_gather_1(g, dy, w, dx);
  }
}

static AI void filter_any(const Geometry *g, const float *x, const float *dy, float *dW, float *scratch, int64_t widest) {
  const int64_t width = block_width(g->C);
  switch (width < widest ? width : widest) {
    case 16: backprop_filter_16(g, x, dy, dW, scratch); break;
    case 8: backprop_filter_8(g, x, dy, dW, scratch); break;
    case 4: backprop_filter_4(g, x, dy, dW, scratch); break;
    default: backprop_filter_1(g, x, dy, dW, scratch);
  }
}

typedef struct {
  void (*forward)(const Geometry *, const float *, const float *, const float *, float *);
  void (*gather)(const Geometry *, const float *, const float *, float *);
  void (*filter)(const Geometry *, const float *, const float *, float *, float *);
} Kernels;

// The same kernels compiled for one instruction set each.
#define DW_ENTRIES(isa, attr, widest)                                                                               \
  attr static void forward_##isa(const Geometry *g, const float *x, const float *w, const float *bias, float *out) { \
    forward_any(g, x, w, bias, out, widest);                                                                        \
  }                                                                                                                 \
  attr static void gather_##isa(const Geometry *g, const float *dy, const float *w, float *dx) {                    \
    gather_any(g, dy, w, dx, widest);                                                                               \
  }                                                                                                                 \
  attr static void filter_##isa(const Geometry *g, const float *x, const float *dy, float *dW, float *scratch) {     \
    filter_any(g, x, dy, dW, scratch, widest);                                                                      \
  }                                                                                                                 \
  static const Kernels kernels_##isa = {forward_##isa, gather_##isa, filter_##isa};

#if defined(__x86_64__)
DW_ENTRIES(avx512, TARGET_AVX512, 16)
DW_ENTRIES(avx2, TARGET_AVX2, 8)
#endif
DW_ENTRIES(base, , 16)

static const Kernels *kernels = &kernels_base;
static const char *kernels_isa = "base";

/** The build for the widest instruction set this CPU runs (isa.h). */
static void choose_kernels(void) {
  switch (native_isa()) {
#if defined(__x86_64__)
    case ISA_AVX512: kernels = &kernels_avx512; kernels_isa = "avx512"; break;
    case ISA_AVX2: kernels = &kernels_avx2; kernels_isa = "avx2"; break;
#endif
    default: kernels = &kernels_base; kernels_isa = "base";
  }
}

/** The forward pass: out = bias + Σ_taps x·w (bias NULL: none). */
static void run_forward(const Kernels *k, const Geometry *g, const float *x, const float *w, const float *bias,
                        float *out) {
  k->forward(g, x, w, bias, out);
}

/** dx = Σ over the outputs each input pixel reaches of dy·w; 0 when its scratch memory cannot be allocated. */
static int run_backprop_input(const Kernels *k, const Geometry *g, const float *dy, const float *w, float *dx) {
  if (g->sH != 1 || g->sW != 1) {
    k->gather(g, dy, w, dx);
    return 1;
  }
  // Stride 1: a forward convolution of dy with the flipped filter (flipped_geometry), on the forward kernel's loops.
  const int64_t taps = g->kH * g->kW;
  float *flipped = malloc((size_t)(taps * g->C > 0 ? taps * g->C : 1) * sizeof(float));
  if (flipped == NULL) return 0;
  for (int64_t t = 0; t < taps; t++) memcpy(flipped + (taps - 1 - t) * g->C, w + t * g->C, (size_t)g->C * sizeof(float));
  const Geometry f = flipped_geometry(g);
  k->forward(&f, dy, flipped, NULL, dx);
  free(flipped);
  return 1;
}

/** dW = Σ over batch and output pixels of x·dy; 0 when its scratch memory cannot be allocated. */
static int run_backprop_filter(const Kernels *k, const Geometry *g, const float *x, const float *dy, float *dW) {
  const int64_t width = block_width(g->C), blocks = (g->C + width - 1) / width;
  const int64_t floats = blocks * g->kH * g->kW * width;
  float *scratch = calloc((size_t)(floats > 0 ? floats : 1), sizeof(float));
  if (scratch == NULL) return 0;
  k->filter(g, x, dy, dW, scratch);
  free(scratch);
  return 1;
}

static napi_value depthwise_forward(napi_env env, napi_callback_info info) {
  static const int kinds[] = {CONV_INPUT, CONV_FILTER, CONV_BIAS, CONV_OUTPUT};
  static const char *const names[] = {"x", "filter", "bias", "out"};
  Geometry g;
  int64_t p[4];
  uint8_t *heap = take_conv_call(env, info, "depthwiseForward", 0, &g, 4, kinds, names, p);
  if (heap == NULL) return NULL;
  run_forward(kernels, &g, (const float *)(heap + p[0]), (const float *)(heap + p[1]),
              p[2] != 0 ? (const float *)(heap + p[2]) : NULL, (float *)(heap + p[3]));
  return NULL;
}

static napi_value depthwise_backprop_input(napi_env env, napi_callback_info info) {
  static const int kinds[] = {CONV_OUTPUT, CONV_FILTER, CONV_INPUT};
  static const char *const names[] = {"dy", "filter", "dx"};
  Geometry g;
  int64_t p[3];
  uint8_t *heap = take_conv_call(env, info, "depthwiseBackpropInput", 0, &g, 3, kinds, names, p);
  if (heap == NULL) return NULL;
  if (!run_backprop_input(kernels, &g, (const float *)(heap + p[0]), (const float *)(heap + p[1]), (float *)(heap + p[2])))
    return conv_no_memory(env, "depthwiseBackpropInput");
  return NULL;
}

static napi_value depthwise_backprop_filter(napi_env env, napi_callback_info info) {
  static const int kinds[] = {CONV_INPUT, CONV_OUTPUT, CONV_FILTER};
  static const char *const names[] = {"x", "dy", "dW"};
  Geometry g;
  int64_t p[3];
  uint8_t *heap = take_conv_call(env, info, "depthwiseBackpropFilter", 0, &g, 3, kinds, names, p);
  if (heap == NULL) return NULL;
  if (!run_backprop_filter(kernels, &g, (const float *)(heap + p[0]), (const float *)(heap + p[1]), (float *)(heap + p[2])))
    return conv_no_memory(env, "depthwiseBackpropFilter");
  return NULL;
}

// kernelIsa(): the instruction set the vector kernels (depthwise, GELU, LayerNorm) run with ("avx512", "avx2" or "base").
static napi_value kernel_isa(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_string_utf8(env, kernels_isa, NAPI_AUTO_LENGTH, &result);
  return result;
}

void register_depthwise(napi_env env, napi_value exports) {
  choose_kernels();
  export_function(env, exports, "depthwiseForward", depthwise_forward);
  export_function(env, exports, "depthwiseBackpropInput", depthwise_backprop_input);
  export_function(env, exports, "depthwiseBackpropFilter", depthwise_backprop_filter);
  export_function(env, exports, "kernelIsa", kernel_isa);
}
