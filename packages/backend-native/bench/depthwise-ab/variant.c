// One build of native/depthwise.c (the directory on the include path) behind entry points prefixed with VARIANT
// (old_ or new_), so that two revisions of the kernels run in one process (harness.c). The wrappers do what the
// N-API functions of depthwise.c do around the kernels (the flipped filter of the stride-1 input gradient, the
// filter gradient's zeroed scratch), so revisions without depthwise.c's plain-C drivers work too.
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define register_depthwise CAT(VARIANT, register_depthwise)
#include "depthwise.c"

static const Kernels *pick(int isa) {
#if defined(__x86_64__)
  if (isa == 2) return &kernels_avx512;
  if (isa == 1) return &kernels_avx2;
#endif
  return &kernels_base;
}

void CAT(VARIANT, fwd)(int isa, const Geometry *g, const float *x, const float *w, const float *bias, float *out) {
  pick(isa)->forward(g, x, w, bias, out);
}

void CAT(VARIANT, bpi)(int isa, const Geometry *g, const float *dy, const float *w, float *dx) {
  if (g->sH != 1 || g->sW != 1) {
    pick(isa)->gather(g, dy, w, dx);
    return;
  }
  const int64_t taps = g->kH * g->kW;
  float *flipped = malloc((size_t)(taps * g->C) * sizeof(float));
  for (int64_t t = 0; t < taps; t++) memcpy(flipped + (taps - 1 - t) * g->C, w + t * g->C, (size_t)g->C * sizeof(float));
  const Geometry f = {g->batch, g->outH, g->outW, g->C, g->inH, g->inW, g->kH, g->kW, 1, 1, g->dH, g->dW,
                      (g->kH - 1) * g->dH - g->pt, (g->kW - 1) * g->dW - g->pl};
  pick(isa)->forward(&f, dy, flipped, NULL, dx);
  free(flipped);
}

void CAT(VARIANT, bpf)(int isa, const Geometry *g, const float *x, const float *dy, float *dW) {
  const int64_t width = block_width(g->C), blocks = (g->C + width - 1) / width;
  float *scratch = calloc((size_t)(blocks * g->kH * g->kW * width), sizeof(float));
  pick(isa)->filter(g, x, dy, dW, scratch);
  free(scratch);
}
