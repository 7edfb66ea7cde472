// Convolution geometry and argument checks shared by the addon's convolution kernels (depthwise.c, im2col_conv.c).
// A call takes the heap, the geometry numbers
//   batch, inH, inW, C, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft
// (input [batch, inH, inW, C], output [batch, outH, outW, outC]; input row of output row oh and tap fh:
// oh·strideH − padTop + fh·dilationH, columns likewise; taps outside the input count as zeros), for a dense
// convolution one more, outC (filter [kH, kW, C, outC]; depthwise: outC = C, filter [kH, kW, C]), then byte offsets.
#ifndef NEXTNETS_CONV_ARGS_H
#define NEXTNETS_CONV_ARGS_H
#include "heap_args.h"

typedef struct {
  int64_t batch, inH, inW, C, outH, outW, kH, kW, sH, sW, dH, dW, pt, pl, outC;
} Geometry;

// The stride-1 input gradient as a forward pass: dx[ih] = Σ_fh dy[ih + padTop − fh·dil]·w[fh] correlates dy (outC
// channels in, C out) with the filter flipped in both axes, at stride 1 and padding (k − 1)·dil − pad.
static inline Geometry flipped_geometry(const Geometry *g) {
  return (Geometry){g->batch, g->outH, g->outW, g->outC, g->inH, g->inW, g->kH, g->kW, 1, 1, g->dH, g->dW,
                    (g->kH - 1) * g->dH - g->pt, (g->kW - 1) * g->dW - g->pl, g->C};
}

// What each byte offset points at: CONV_BIAS may be 0 (none).
enum { CONV_INPUT, CONV_OUTPUT, CONV_FILTER, CONV_BIAS };

// Reads the heap, the geometry (14 numbers, or 15 with outC when dense) and `n` byte offsets of the given kinds;
// checks that strides and dilations are ≥ 1 and that every operand lies inside the heap. Returns the heap, or NULL
// after throwing a one-line error that names the kernel and the operand.
uint8_t *take_conv_call(napi_env env, napi_callback_info info, const char *name, int dense, Geometry *g, int n,
                        const int kinds[], const char *const names[], int64_t offsets[]);

// Throws "nextnets native: <name> could not allocate its scratch memory"; returns NULL.
napi_value conv_no_memory(napi_env env, const char *name);

#endif
