// One channel width of the depthwise kernels (included by depthwise.c once per width, with DW_S = 16, 8, 4 or 1
// channels and DW_V a GCC vector of that many floats, or float). Every function is always inlined, so its code is
// compiled for the instruction set of the target-specific entry point that calls it (AVX-512, AVX2+FMA or baseline).
// Channels are the vector lanes (NHWC: they are contiguous); the last block of a pass overlaps the one before when
// C is not a multiple of DW_S, which is harmless since every output value is written, never accumulated, by a block.
#define DW_CAT2(a, b) a##_##b
#define DW_CAT(a, b) DW_CAT2(a, b)
#define DW_FN(name) DW_CAT(name, DW_S)
#define DW_LD(p) (*(const DW_V *)(p))
#define DW_ST(p, v) (*(DW_V *)(p) = (v))

// out[b, oh, ow, c0..] for one output pixel, any taps (borders).
static AI void DW_FN(fwd_pixel)(const Geometry *g, const float *x, const float *w, const float *bias, float *out,
                                int64_t b, int64_t oh, int64_t ow, int64_t c0) {
  const int64_t C = g->C;
  const int64_t fh0 = first_tap(oh, g->sH, g->pt, g->dH), fh1 = end_tap(oh, g->sH, g->pt, g->dH, g->inH, g->kH);
  const int64_t fw0 = first_tap(ow, g->sW, g->pl, g->dW), fw1 = end_tap(ow, g->sW, g->pl, g->dW, g->inW, g->kW);
  // two accumulators (even and odd taps of a row) so that consecutive adds do not wait on each other
  DW_V acc = {0}, odd = {0};
  if (bias != NULL) acc = DW_LD(bias + c0);
  for (int64_t fh = fh0; fh < fh1; fh++) {
    const float *xr = x + ((b * g->inH + oh * g->sH - g->pt + fh * g->dH) * g->inW + ow * g->sW - g->pl) * C + c0;
    const float *wr = w + fh * g->kW * C + c0;
    const int64_t tap = g->dW * C;
    int64_t fw = fw0;
    for (; fw + 2 <= fw1; fw += 2) {
      acc += DW_LD(xr + fw * tap) * DW_LD(wr + fw * C);
      odd += DW_LD(xr + (fw + 1) * tap) * DW_LD(wr + (fw + 1) * C);
    }
    if (fw < fw1) acc += DW_LD(xr + fw * tap) * DW_LD(wr + fw * C);
  }
  DW_ST(out + ((b * g->outH + oh) * g->outW + ow) * C + c0, acc + odd);
}

// Four output pixels ow..ow+3 of one row whose column taps are all inside the input: four accumulators share each
// weight load.
static AI void DW_FN(fwd_quad)(const Geometry *g, const float *x, const float *w, const float *bias, float *out,
                               int64_t b, int64_t oh, int64_t ow, int64_t c0) {
  const int64_t C = g->C, step = g->sW * C, tap = g->dW * C;
  const int64_t fh0 = first_tap(oh, g->sH, g->pt, g->dH), fh1 = end_tap(oh, g->sH, g->pt, g->dH, g->inH, g->kH);
  DW_V a0 = {0};
  if (bias != NULL) a0 = DW_LD(bias + c0);
  DW_V a1 = a0, a2 = a0, a3 = a0;
  for (int64_t fh = fh0; fh < fh1; fh++) {
    const float *xp = x + ((b * g->inH + oh * g->sH - g->pt + fh * g->dH) * g->inW + ow * g->sW - g->pl) * C + c0;
    const float *wp = w + fh * g->kW * C + c0;
    for (int64_t fw = 0; fw < g->kW; fw++, xp += tap, wp += C) {
      const DW_V wv = DW_LD(wp);
      a0 += DW_LD(xp) * wv;
      a1 += DW_LD(xp + step) * wv;
      a2 += DW_LD(xp + 2 * step) * wv;
      a3 += DW_LD(xp + 3 * step) * wv;
    }
  }
  float *o = out + ((b * g->outH + oh) * g->outW + ow) * C + c0;
  DW_ST(o, a0);
  DW_ST(o + C, a1);
  DW_ST(o + 2 * C, a2);
  DW_ST(o + 3 * C, a3);
}

// fwd_quad for 7-wide rows of taps at column stride and dilation 1 (ConvNeXt's 7×7): the ten input columns of the
// four outputs are loaded once each and the seven weights of a row stay in registers (a sliding window), 17 loads
// for 28 multiply-adds instead of 35. Same products, same order per output as fwd_quad.
static AI void DW_FN(fwd_quad7)(const Geometry *g, const float *x, const float *w, const float *bias, float *out,
                                int64_t b, int64_t oh, int64_t ow, int64_t c0) {
  const int64_t C = g->C;
  const int64_t fh0 = first_tap(oh, g->sH, g->pt, g->dH), fh1 = end_tap(oh, g->sH, g->pt, g->dH, g->inH, g->kH);
  DW_V a0 = {0};
  if (bias != NULL) a0 = DW_LD(bias + c0);
  DW_V a1 = a0, a2 = a0, a3 = a0;
  for (int64_t fh = fh0; fh < fh1; fh++) {
    const float *xp = x + ((b * g->inH + oh * g->sH - g->pt + fh * g->dH) * g->inW + ow - g->pl) * C + c0;
    const float *wp = w + fh * 7 * C + c0;
    const DW_V w0 = DW_LD(wp), w1 = DW_LD(wp + C), w2 = DW_LD(wp + 2 * C), w3 = DW_LD(wp + 3 * C);
    const DW_V w4 = DW_LD(wp + 4 * C), w5 = DW_LD(wp + 5 * C), w6 = DW_LD(wp + 6 * C);
    DW_V v = DW_LD(xp);
    a0 += v * w0;
    v = DW_LD(xp + C);
    a0 += v * w1; a1 += v * w0;
    v = DW_LD(xp + 2 * C);
    a0 += v * w2; a1 += v * w1; a2 += v * w0;
    v = DW_LD(xp + 3 * C);
    a0 += v * w3; a1 += v * w2; a2 += v * w1; a3 += v * w0;
    v = DW_LD(xp + 4 * C);
    a0 += v * w4; a1 += v * w3; a2 += v * w2; a3 += v * w1;
    v = DW_LD(xp + 5 * C);
    a0 += v * w5; a1 += v * w4; a2 += v * w3; a3 += v * w2;
    v = DW_LD(xp + 6 * C);
    a0 += v * w6; a1 += v * w5; a2 += v * w4; a3 += v * w3;
    v = DW_LD(xp + 7 * C);
    a1 += v * w6; a2 += v * w5; a3 += v * w4;
    v = DW_LD(xp + 8 * C);
    a2 += v * w6; a3 += v * w5;
    v = DW_LD(xp + 9 * C);
    a3 += v * w6;
  }
  float *o = out + ((b * g->outH + oh) * g->outW + ow) * C + c0;
  DW_ST(o, a0);
  DW_ST(o + C, a1);
  DW_ST(o + 2 * C, a2);
  DW_ST(o + 3 * C, a3);
}

// ---- Filters three taps wide at column dilation 1 and column stride 1 or 2, at most three rows high (EfficientNet's
// and MobileNet's 3×3). The general loops below find each tap's bounds (divisions), weights and scratch sums per
// channel block and pixel, which costs more than the nine multiply-adds of a 3×3 pixel once the maps are small and
// the channels many (EfficientNetV2-B0: 14×14×672, 7×7×1152). Here an output row is one call: the forward pass walks
// it in chunks of DW3_CHUNK channels, pixel quad by pixel quad, with a block's nine weights in registers per quad;
// the filter gradient keeps a block's nine sums in registers over the whole row and adds them to the scratch sums
// once. Only border columns check their taps. `nr` (the filter rows whose input row exists) and `s` (the column
// stride) are constants in every call, so the tap loops unroll and equal input columns are loaded once.

// A border column ow of the forward pass: bias plus the taps whose input column exists, stored at oc + ow·C.
static AI void DW_FN(fwd3_border)(float *oc, const float *const xc[3], const DW_V W[3][3], DW_V acc, int64_t C,
                                  int64_t inW, int64_t pl, int64_t ow, const int nr, const int64_t s) {
  for (int j = 0; j < 3; j++) {
    const int64_t iw = ow * s - pl + j;
    if (iw < 0 || iw >= inW) continue;
    for (int i = 0; i < nr; i++) acc += DW_LD(xc[i] + iw * C) * W[i][j];
  }
  DW_ST(oc + ow * C, acc);
}

// Weights (rows fh0.. of nr), bias and input-row pointers of the channel block at c0.
#define DW3_SETUP(c0)                                                                           \
  DW_V W[3][3];                                                                                 \
  const float *xc[3];                                                                           \
  for (int i = 0; i < nr; i++) {                                                                \
    xc[i] = xr[i] + (c0);                                                                       \
    for (int j = 0; j < 3; j++) W[i][j] = DW_LD(w + ((fh0 + i) * 3 + j) * C + (c0));           \
  }                                                                                             \
  DW_V b0 = {0};                                                                                \
  if (bias != NULL) b0 = DW_LD(bias + (c0));                                                    \
  float *oc = o + (c0)

// One output row of the forward pass: xr[i] is input row i (filter row fh0 + i) at column 0, channel 0; o the output
// row. Columns [owA, owB) have all three taps inside the input.
static AI void DW_FN(fwd3_row)(const float *const xr[3], const float *w, const float *bias, float *o, int64_t fh0,
                               int64_t C, int64_t inW, int64_t outW, int64_t pl, int64_t owA, int64_t owB,
                               const int nr, const int64_t s) {
  // left border columns (every column when none is interior), interior quads and single columns, right border
  const int64_t left = owA < owB ? owA : outW;
  for (int64_t cs = 0; cs < C; cs += DW3_CHUNK) {
    const int64_t ce = cs + DW3_CHUNK < C ? cs + DW3_CHUNK : C;
    int64_t ow = 0;
    for (; ow < left; ow++)
      for (int64_t c = cs; c < ce; c += DW_S) {
        DW3_SETUP(block_start(c, C, DW_S));
        DW_FN(fwd3_border)(oc, xc, W, b0, C, inW, pl, ow, nr, s);
      }
    for (; ow + 4 <= owB; ow += 4)
      for (int64_t c = cs; c < ce; c += DW_S) {
        DW3_SETUP(block_start(c, C, DW_S));
        DW_V a0 = b0, a1 = b0, a2 = b0, a3 = b0;
        for (int i = 0; i < nr; i++) {
          const float *xp = xc[i] + (ow * s - pl) * C;
          for (int j = 0; j < 3; j++) {
            a0 += DW_LD(xp + j * C) * W[i][j];
            a1 += DW_LD(xp + (s + j) * C) * W[i][j];
            a2 += DW_LD(xp + (2 * s + j) * C) * W[i][j];
            a3 += DW_LD(xp + (3 * s + j) * C) * W[i][j];
          }
        }
        DW_ST(oc + ow * C, a0);
        DW_ST(oc + (ow + 1) * C, a1);
        DW_ST(oc + (ow + 2) * C, a2);
        DW_ST(oc + (ow + 3) * C, a3);
      }
    for (; ow < owB; ow++)
      for (int64_t c = cs; c < ce; c += DW_S) {
        DW3_SETUP(block_start(c, C, DW_S));
        DW_V acc = b0;
        for (int i = 0; i < nr; i++) {
          const float *xp = xc[i] + (ow * s - pl) * C;
          for (int j = 0; j < 3; j++) acc += DW_LD(xp + j * C) * W[i][j];
        }
        DW_ST(oc + ow * C, acc);
      }
    for (; ow < outW; ow++)
      for (int64_t c = cs; c < ce; c += DW_S) {
        DW3_SETUP(block_start(c, C, DW_S));
        DW_FN(fwd3_border)(oc, xc, W, b0, C, inW, pl, ow, nr, s);
      }
  }
}
#undef DW3_SETUP

// The forward pass for kW = 3, dW = 1, sW ≤ 2, kH ≤ 3.
static AI void DW_FN(forward3)(const Geometry *g, const float *x, const float *w, const float *bias, float *out) {
  const int64_t C = g->C, inH = g->inH, inW = g->inW, outH = g->outH, outW = g->outW, sH = g->sH, dH = g->dH;
  const int64_t pt = g->pt, pl = g->pl, kH = g->kH, sW = g->sW, batch = g->batch;
  int64_t owA, owB;
  interior_columns(g, &owA, &owB);
  for (int64_t b = 0; b < batch; b++)
    for (int64_t oh = 0; oh < outH; oh++) {
      const int64_t fh0 = first_tap(oh, sH, pt, dH), fh1 = end_tap(oh, sH, pt, dH, inH, kH);
      const int nr = fh1 > fh0 ? (int)(fh1 - fh0) : 0;
      const float *xr[3] = {x, x, x};
      for (int i = 0; i < nr; i++) xr[i] = x + (b * inH + oh * sH - pt + (fh0 + i) * dH) * inW * C;
      float *o = out + (b * outH + oh) * outW * C;
#define DW_FWD3(n, st) DW_FN(fwd3_row)(xr, w, bias, o, fh0, C, inW, outW, pl, owA, owB, n, st)
      if (sW == 1) {
        switch (nr) {
          case 3: DW_FWD3(3, 1); break;
          case 2: DW_FWD3(2, 1); break;
          case 1: DW_FWD3(1, 1); break;
          default: DW_FWD3(0, 1);
        }
      } else {
        switch (nr) {
          case 3: DW_FWD3(3, 2); break;
          case 2: DW_FWD3(2, 2); break;
          case 1: DW_FWD3(1, 2); break;
          default: DW_FWD3(0, 2);
        }
      }
#undef DW_FWD3
    }
}

// A border column ow of the filter gradient: d times the taps whose input column exists, added to A.
static AI void DW_FN(bpf3_border)(const float *const xc[3], DW_V d, DW_V A[3][3], int64_t C, int64_t inW, int64_t pl,
                                  int64_t ow, const int nr, const int64_t s) {
  for (int j = 0; j < 3; j++) {
    const int64_t iw = ow * s - pl + j;
    if (iw < 0 || iw >= inW) continue;
    for (int i = 0; i < nr; i++) A[i][j] += DW_LD(xc[i] + iw * C) * d;
  }
}

// One output row's contribution to the filter gradient for every channel block: xr[i] is input row i (filter row
// fh0 + i) at column 0, channel 0, dyr the gradient row; the nine per-tap sums of a block are kept in registers over
// the row and added to its scratch sums (blocks × kH·3 × DW_S floats) at the end.
static AI void DW_FN(bpf3_row)(const float *const xr[3], const float *dyr, float *scratch, int64_t fh0, int64_t taps,
                               int64_t C, int64_t inW, int64_t outW, int64_t pl, int64_t owA, int64_t owB,
                               const int nr, const int64_t s) {
  const int64_t blocks = (C + DW_S - 1) / DW_S;
  for (int64_t k = 0; k < blocks; k++) {
    const int64_t c0 = block_start(k * DW_S, C, DW_S);
    DW_V A[3][3];
    const float *xc[3];
    for (int i = 0; i < nr; i++) {
      xc[i] = xr[i] + c0;
      for (int j = 0; j < 3; j++) A[i][j] = (DW_V){0};
    }
    const float *dc = dyr + c0;
    const int64_t left = owA < owB ? owA : outW;
    int64_t ow = 0;
    for (; ow < left; ow++) DW_FN(bpf3_border)(xc, DW_LD(dc + ow * C), A, C, inW, pl, ow, nr, s);
    if (s == 1 && ow < owB) {
      // stride 1: a sliding window, one new input column per row and pixel
      DW_V v0[3], v1[3];
      for (int i = 0; i < nr; i++) {
        v0[i] = DW_LD(xc[i] + (ow - pl) * C);
        v1[i] = DW_LD(xc[i] + (ow - pl + 1) * C);
      }
      for (; ow < owB; ow++) {
        const DW_V d = DW_LD(dc + ow * C);
        for (int i = 0; i < nr; i++) {
          const DW_V v2 = DW_LD(xc[i] + (ow - pl + 2) * C);
          A[i][0] += v0[i] * d;
          A[i][1] += v1[i] * d;
          A[i][2] += v2 * d;
          v0[i] = v1[i];
          v1[i] = v2;
        }
      }
    }
    for (; ow < owB; ow++) {
      const DW_V d = DW_LD(dc + ow * C);
      for (int i = 0; i < nr; i++) {
        const float *xp = xc[i] + (ow * s - pl) * C;
        for (int j = 0; j < 3; j++) A[i][j] += DW_LD(xp + j * C) * d;
      }
    }
    for (; ow < outW; ow++) DW_FN(bpf3_border)(xc, DW_LD(dc + ow * C), A, C, inW, pl, ow, nr, s);
    float *acc = scratch + (k * taps + fh0 * 3) * DW_S;
    for (int i = 0; i < nr; i++)
      for (int j = 0; j < 3; j++) DW_ST(acc + (i * 3 + j) * DW_S, DW_LD(acc + (i * 3 + j) * DW_S) + A[i][j]);
  }
}

// The filter gradient for kW = 3, dW = 1, sW ≤ 2, kH ≤ 3 (scratch as in backprop_filter).
static AI void DW_FN(backprop_filter3)(const Geometry *g, const float *x, const float *dy, float *dW, float *scratch) {
  const int64_t C = g->C, inH = g->inH, inW = g->inW, outH = g->outH, outW = g->outW, sH = g->sH, dH = g->dH;
  const int64_t pt = g->pt, pl = g->pl, kH = g->kH, sW = g->sW, batch = g->batch, taps = kH * 3;
  const int64_t blocks = (C + DW_S - 1) / DW_S;
  int64_t owA, owB;
  interior_columns(g, &owA, &owB);
  for (int64_t b = 0; b < batch; b++)
    for (int64_t oh = 0; oh < outH; oh++) {
      const int64_t fh0 = first_tap(oh, sH, pt, dH), fh1 = end_tap(oh, sH, pt, dH, inH, kH);
      if (fh1 <= fh0) continue;
      const int nr = (int)(fh1 - fh0);
      const float *xr[3] = {x, x, x};
      for (int i = 0; i < nr; i++) xr[i] = x + (b * inH + oh * sH - pt + (fh0 + i) * dH) * inW * C;
      const float *dyr = dy + (b * outH + oh) * outW * C;
#define DW_BPF3(n, st) DW_FN(bpf3_row)(xr, dyr, scratch, fh0, taps, C, inW, outW, pl, owA, owB, n, st)
      if (sW == 1) {
        switch (nr) {
          case 3: DW_BPF3(3, 1); break;
          case 2: DW_BPF3(2, 1); break;
          default: DW_BPF3(1, 1);
        }
      } else {
        switch (nr) {
          case 3: DW_BPF3(3, 2); break;
          case 2: DW_BPF3(2, 2); break;
          default: DW_BPF3(1, 2);
        }
      }
#undef DW_BPF3
    }
  for (int64_t k = 0; k < blocks; k++) {
    const int64_t c0 = block_start(k * DW_S, C, DW_S);
    for (int64_t t = 0; t < taps; t++) DW_ST(dW + t * C + c0, DW_LD(scratch + (k * taps + t) * DW_S));
  }
}

// out = bias + Σ_taps x·w over the whole output; quads of pixels whose column taps all lie inside the input
// [owA, owB), single pixels elsewhere.
static AI void DW_FN(forward)(const Geometry *g, const float *x, const float *w, const float *bias, float *out) {
  if (g->kW == 3 && g->dW == 1 && g->sW <= 2 && g->kH <= 3) {
    DW_FN(forward3)(g, x, w, bias, out);
    return;
  }
  int64_t owA, owB;
  interior_columns(g, &owA, &owB);
  const int window7 = g->kW == 7 && g->sW == 1 && g->dW == 1;
  for (int64_t b = 0; b < g->batch; b++)
    for (int64_t oh = 0; oh < g->outH; oh++)
      for (int64_t ow = 0; ow < g->outW;) {
        if (ow >= owA && ow + 4 <= owB) {
          if (window7)
            for (int64_t c = 0; c < g->C; c += DW_S) DW_FN(fwd_quad7)(g, x, w, bias, out, b, oh, ow, block_start(c, g->C, DW_S));
          else
            for (int64_t c = 0; c < g->C; c += DW_S) DW_FN(fwd_quad)(g, x, w, bias, out, b, oh, ow, block_start(c, g->C, DW_S));
          ow += 4;
        } else {
          for (int64_t c = 0; c < g->C; c += DW_S) DW_FN(fwd_pixel)(g, x, w, bias, out, b, oh, ow, block_start(c, g->C, DW_S));
          ow += 1;
        }
      }
}

// dx[b, ih, iw, c0..] = Σ over taps (fh, fw) whose output pixel exists of dy·w (gather form, any stride).
static AI void DW_FN(bpi_pixel)(const Geometry *g, const float *dy, const float *w, float *dx, int64_t b, int64_t ih,
                                int64_t iw, int64_t c0) {
  const int64_t C = g->C;
  DW_V acc = {0};
  for (int64_t fh = 0; fh < g->kH; fh++) {
    const int64_t oh = source_index(ih, fh, g->pt, g->dH, g->sH, g->outH);
    if (oh < 0) continue;
    for (int64_t fw = 0; fw < g->kW; fw++) {
      const int64_t ow = source_index(iw, fw, g->pl, g->dW, g->sW, g->outW);
      if (ow < 0) continue;
      acc += DW_LD(dy + ((b * g->outH + oh) * g->outW + ow) * C + c0) * DW_LD(w + (fh * g->kW + fw) * C + c0);
    }
  }
  DW_ST(dx + ((b * g->inH + ih) * g->inW + iw) * C + c0, acc);
}

static AI void DW_FN(backprop_input_gather)(const Geometry *g, const float *dy, const float *w, float *dx) {
  const int64_t C = g->C, inH = g->inH, inW = g->inW, outH = g->outH, outW = g->outW, kH = g->kH, kW = g->kW;
  if (kH > DW_GATHER_MAX || kW > DW_GATHER_MAX) {
    for (int64_t b = 0; b < g->batch; b++)
      for (int64_t ih = 0; ih < inH; ih++)
        for (int64_t iw = 0; iw < inW; iw++)
          for (int64_t c = 0; c < C; c += DW_S) DW_FN(bpi_pixel)(g, dy, w, dx, b, ih, iw, block_start(c, C, DW_S));
    return;
  }
  // The (output pixel, tap) pairs of an input pixel are found once for all its channel blocks: dy and filter offsets
  // in floats, rows (fh) outer and columns (fw) inner as in bpi_pixel.
  int64_t rowDy[DW_GATHER_MAX], rowW[DW_GATHER_MAX], pairDy[DW_GATHER_MAX * DW_GATHER_MAX], pairW[DW_GATHER_MAX * DW_GATHER_MAX];
  for (int64_t b = 0; b < g->batch; b++)
    for (int64_t ih = 0; ih < inH; ih++) {
      int64_t nr = 0;
      for (int64_t fh = 0; fh < kH; fh++) {
        const int64_t oh = source_index(ih, fh, g->pt, g->dH, g->sH, outH);
        if (oh < 0) continue;
        rowDy[nr] = (b * outH + oh) * outW * C;
        rowW[nr++] = fh * kW * C;
      }
      for (int64_t iw = 0; iw < inW; iw++) {
        int64_t np = 0;
        for (int64_t r = 0; r < nr; r++)
          for (int64_t fw = 0; fw < kW; fw++) {
            const int64_t ow = source_index(iw, fw, g->pl, g->dW, g->sW, outW);
            if (ow < 0) continue;
            pairDy[np] = rowDy[r] + ow * C;
            pairW[np++] = rowW[r] + fw * C;
          }
        float *d = dx + ((b * inH + ih) * inW + iw) * C;
        for (int64_t c = 0; c < C; c += DW_S) {
          const int64_t c0 = block_start(c, C, DW_S);
          DW_V acc = {0};
          for (int64_t p = 0; p < np; p++) acc += DW_LD(dy + pairDy[p] + c0) * DW_LD(w + pairW[p] + c0);
          DW_ST(d + c0, acc);
        }
      }
    }
}

// acc[0..DW_S) += Σ_{ow in [o0, o1)} x[ow·sW + xo]·dy[ow] for one tap: four accumulators over consecutive columns.
static AI void DW_FN(bpf_tap)(float *acc, const float *xr, const float *dyr, int64_t o0, int64_t o1, int64_t xstep,
                              int64_t C) {
  DW_V a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
  const float *xp = xr + o0 * xstep, *dp = dyr + o0 * C;
  int64_t ow = o0;
  for (; ow + 4 <= o1; ow += 4, xp += 4 * xstep, dp += 4 * C) {
    a0 += DW_LD(xp) * DW_LD(dp);
    a1 += DW_LD(xp + xstep) * DW_LD(dp + C);
    a2 += DW_LD(xp + 2 * xstep) * DW_LD(dp + 2 * C);
    a3 += DW_LD(xp + 3 * xstep) * DW_LD(dp + 3 * C);
  }
  for (; ow < o1; ow++, xp += xstep, dp += C) a0 += DW_LD(xp) * DW_LD(dp);
  DW_ST(acc, DW_LD(acc) + ((a0 + a1) + (a2 + a3)));
}

// Four taps fw..fw+3 over the columns where all four are inside the input: one dy load feeds four accumulators;
// only taps from fw + first on are added to acc.
static AI void DW_FN(bpf_quad)(float *acc, const float *xr, const float *dyr, int64_t o0, int64_t o1, int64_t xstep,
                               int64_t tap, int64_t C, int64_t first) {
  // two columns per step into separate accumulators: eight independent chains
  DW_V a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
  const float *xp = xr + o0 * xstep, *dp = dyr + o0 * C;
  int64_t ow = o0;
  for (; ow + 2 <= o1; ow += 2, xp += 2 * xstep, dp += 2 * C) {
    const DW_V d = DW_LD(dp), e = DW_LD(dp + C);
    const float *xq = xp + xstep;
    a0 += DW_LD(xp) * d;
    a1 += DW_LD(xp + tap) * d;
    a2 += DW_LD(xp + 2 * tap) * d;
    a3 += DW_LD(xp + 3 * tap) * d;
    b0 += DW_LD(xq) * e;
    b1 += DW_LD(xq + tap) * e;
    b2 += DW_LD(xq + 2 * tap) * e;
    b3 += DW_LD(xq + 3 * tap) * e;
  }
  if (ow < o1) {
    const DW_V d = DW_LD(dp);
    a0 += DW_LD(xp) * d;
    a1 += DW_LD(xp + tap) * d;
    a2 += DW_LD(xp + 2 * tap) * d;
    a3 += DW_LD(xp + 3 * tap) * d;
  }
  // taps before `first` belong to the previous group (a last group moved back to end at kW)
  if (first <= 0) DW_ST(acc, DW_LD(acc) + (a0 + b0));
  if (first <= 1) DW_ST(acc + DW_S, DW_LD(acc + DW_S) + (a1 + b1));
  if (first <= 2) DW_ST(acc + 2 * DW_S, DW_LD(acc + 2 * DW_S) + (a2 + b2));
  DW_ST(acc + 3 * DW_S, DW_LD(acc + 3 * DW_S) + (a3 + b3));
}

// dW[fh, fw, c] = Σ_{b, oh, ow} x[b, ih, iw, c]·dy[b, oh, ow, c] over the pixels whose (ih, iw) is inside the input.
// Row by row (b, oh, fh) every channel block adds its per-tap sums to `scratch` (blocks × kH·kW × DW_S floats,
// zeroed), which stays in cache; the input and gradient rows are read once per row pair for all blocks. At the end
// each block's sums are written to dW.
static AI void DW_FN(backprop_filter)(const Geometry *g, const float *x, const float *dy, float *dW, float *scratch) {
  if (g->kW == 3 && g->dW == 1 && g->sW <= 2 && g->kH <= 3) {
    DW_FN(backprop_filter3)(g, x, dy, dW, scratch);
    return;
  }
  const int64_t C = g->C, taps = g->kH * g->kW, blocks = (C + DW_S - 1) / DW_S;
  const int64_t xstep = g->sW * C, tap = g->dW * C;
  for (int64_t b = 0; b < g->batch; b++)
    for (int64_t oh = 0; oh < g->outH; oh++) {
      const float *dyr = dy + (b * g->outH + oh) * g->outW * C;
      for (int64_t fh = 0; fh < g->kH; fh++) {
        const int64_t ih = oh * g->sH - g->pt + fh * g->dH;
        if (ih < 0 || ih >= g->inH) continue;
        // x at column ow·sW − pl of this input row (the pointer for ow = 0 may lie before the row: only valid columns are read)
        const float *xr = x + ((b * g->inH + ih) * g->inW - g->pl) * C;
        for (int64_t k = 0; k < blocks; k++) {
          const int64_t c0 = block_start(k * DW_S, C, DW_S);
          float *acc = scratch + (k * taps + fh * g->kW) * DW_S;
          int64_t fw = 0;
          // groups of four taps (the last moved back to end at kW, its taps before fw skipped), each group over
          // the columns valid for all four (the first tap starts last, the last tap ends first), then each new
          // tap's border columns
          for (; g->kW >= 4 && fw < g->kW; fw += 4) {
            const int64_t f0 = fw + 4 <= g->kW ? fw : g->kW - 4;
            const int64_t lo = first_output(f0, g->dW, g->pl, g->sW), hi = end_output(f0 + 3, g->dW, g->pl, g->sW, g->inW, g->outW);
            if (lo < hi) DW_FN(bpf_quad)(acc + f0 * DW_S, xr + f0 * tap + c0, dyr + c0, lo, hi, xstep, tap, C, fw - f0);
            for (int64_t t = fw; t < f0 + 4; t++) {
              const int64_t o0 = first_output(t, g->dW, g->pl, g->sW), o1 = end_output(t, g->dW, g->pl, g->sW, g->inW, g->outW);
              if (lo < hi) {
                DW_FN(bpf_tap)(acc + t * DW_S, xr + t * tap + c0, dyr + c0, o0, lo < o1 ? lo : o1, xstep, C);
                DW_FN(bpf_tap)(acc + t * DW_S, xr + t * tap + c0, dyr + c0, hi > o0 ? hi : o0, o1, xstep, C);
              } else {
                DW_FN(bpf_tap)(acc + t * DW_S, xr + t * tap + c0, dyr + c0, o0, o1, xstep, C);
              }
            }
          }
          for (; fw < g->kW; fw++) {
            const int64_t o0 = first_output(fw, g->dW, g->pl, g->sW), o1 = end_output(fw, g->dW, g->pl, g->sW, g->inW, g->outW);
            DW_FN(bpf_tap)(acc + fw * DW_S, xr + fw * tap + c0, dyr + c0, o0, o1, xstep, C);
          }
        }
      }
    }
  for (int64_t k = 0; k < blocks; k++) {
    const int64_t c0 = block_start(k * DW_S, C, DW_S);
    for (int64_t t = 0; t < taps; t++) DW_ST(dW + t * C + c0, DW_LD(scratch + (k * taps + t) * DW_S));
  }
}

#undef DW_CAT2
#undef DW_CAT
#undef DW_FN
#undef DW_LD
#undef DW_ST
