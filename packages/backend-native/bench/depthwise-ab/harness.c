// Depthwise kernels A/B (run.sh builds it): two revisions of native/depthwise.c in one process (variant.c, entry
// points old_* and new_*), each shape's forward, input gradient and filter gradient timed alternately, medians in
// ms; the new kernels are first checked against a float64 reference (max |error| / max |reference|). Shapes:
// EfficientNetV2-B0's 3×3 layers (224², batch 16), ConvNeXt-atto's 7×7 stages and InceptionNeXt's 3×3 (batch 8),
// then small odd geometries for the check. "floor" is one read of an output-sized input and one write of the output.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef struct { int64_t batch, inH, inW, C, outH, outW, kH, kW, sH, sW, dH, dW, pt, pl; } Geometry;
void old_fwd(int, const Geometry *, const float *, const float *, const float *, float *);
void old_bpi(int, const Geometry *, const float *, const float *, float *);
void old_bpf(int, const Geometry *, const float *, const float *, float *);
void new_fwd(int, const Geometry *, const float *, const float *, const float *, float *);
void new_bpi(int, const Geometry *, const float *, const float *, float *);
void new_bpf(int, const Geometry *, const float *, const float *, float *);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec * 1e-6; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static float *rnd(int64_t n) { float *p = aligned_alloc(64, ((n * 4 + 63) / 64) * 64 + 64); for (int64_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX * 2 - 1; return p; }

static void ref_fwd(const Geometry *g, const float *x, const float *w, const float *bias, float *out) {
  for (int64_t b = 0; b < g->batch; b++) for (int64_t oh = 0; oh < g->outH; oh++) for (int64_t ow = 0; ow < g->outW; ow++) for (int64_t c = 0; c < g->C; c++) {
    double s = bias ? bias[c] : 0;
    for (int64_t fh = 0; fh < g->kH; fh++) for (int64_t fw = 0; fw < g->kW; fw++) {
      int64_t ih = oh * g->sH - g->pt + fh * g->dH, iw = ow * g->sW - g->pl + fw * g->dW;
      if (ih < 0 || ih >= g->inH || iw < 0 || iw >= g->inW) continue;
      s += (double)x[((b * g->inH + ih) * g->inW + iw) * g->C + c] * w[(fh * g->kW + fw) * g->C + c];
    }
    out[((b * g->outH + oh) * g->outW + ow) * g->C + c] = (float)s;
  }
}
static void ref_bpi(const Geometry *g, const float *dy, const float *w, float *dx) {
  int64_t n = g->batch * g->inH * g->inW * g->C; double *acc = calloc(n, sizeof(double));
  for (int64_t b = 0; b < g->batch; b++) for (int64_t oh = 0; oh < g->outH; oh++) for (int64_t ow = 0; ow < g->outW; ow++) for (int64_t c = 0; c < g->C; c++)
    for (int64_t fh = 0; fh < g->kH; fh++) for (int64_t fw = 0; fw < g->kW; fw++) {
      int64_t ih = oh * g->sH - g->pt + fh * g->dH, iw = ow * g->sW - g->pl + fw * g->dW;
      if (ih < 0 || ih >= g->inH || iw < 0 || iw >= g->inW) continue;
      acc[((b * g->inH + ih) * g->inW + iw) * g->C + c] += (double)dy[((b * g->outH + oh) * g->outW + ow) * g->C + c] * w[(fh * g->kW + fw) * g->C + c];
    }
  for (int64_t i = 0; i < n; i++) dx[i] = (float)acc[i];
  free(acc);
}
static void ref_bpf(const Geometry *g, const float *x, const float *dy, float *dW) {
  int64_t n = g->kH * g->kW * g->C; double *acc = calloc(n, sizeof(double));
  for (int64_t b = 0; b < g->batch; b++) for (int64_t oh = 0; oh < g->outH; oh++) for (int64_t ow = 0; ow < g->outW; ow++) for (int64_t c = 0; c < g->C; c++)
    for (int64_t fh = 0; fh < g->kH; fh++) for (int64_t fw = 0; fw < g->kW; fw++) {
      int64_t ih = oh * g->sH - g->pt + fh * g->dH, iw = ow * g->sW - g->pl + fw * g->dW;
      if (ih < 0 || ih >= g->inH || iw < 0 || iw >= g->inW) continue;
      acc[(fh * g->kW + fw) * g->C + c] += (double)x[((b * g->inH + ih) * g->inW + iw) * g->C + c] * dy[((b * g->outH + oh) * g->outW + ow) * g->C + c];
    }
  for (int64_t i = 0; i < n; i++) dW[i] = (float)acc[i];
  free(acc);
}
static double maxerr(const float *a, const float *b, int64_t n) {
  double m = 0, s = 1e-3;
  for (int64_t i = 0; i < n; i++) s = fmax(s, fabs(b[i]));
  for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
  return m / s;
}
// TF 'same' padding
static Geometry geo(int64_t B, int64_t H, int64_t W, int64_t C, int64_t k, int64_t s, int64_t d) {
  int64_t oh = (H + s - 1) / s, ow = (W + s - 1) / s, ek = (k - 1) * d + 1;
  int64_t ph = (oh - 1) * s + ek - H; if (ph < 0) ph = 0;
  int64_t pw = (ow - 1) * s + ek - W; if (pw < 0) pw = 0;
  return (Geometry){B, H, W, C, oh, ow, k, k, s, s, d, d, ph / 2, pw / 2};
}
int main(int argc, char **argv) {
  int isa = getenv("ISA") ? atoi(getenv("ISA")) : 2;
  int reps = getenv("REPS") ? atoi(getenv("REPS")) : 21;
  if (reps > 256) reps = 256;
  int check = getenv("CHECK") ? atoi(getenv("CHECK")) : 1;
  const char *only = getenv("ONLY");
  struct { const char *name; int64_t B, H, W, C, k, s, d; } S[] = {
    {"effv2 s3 192 s2", 16, 28, 28, 192, 3, 2, 1}, {"effv2 s3 384", 16, 14, 14, 384, 3, 1, 1}, {"effv2 s4 576", 16, 14, 14, 576, 3, 1, 1},
    {"effv2 s4 672", 16, 14, 14, 672, 3, 1, 1}, {"effv2 s5 672 s2", 16, 14, 14, 672, 3, 2, 1}, {"effv2 s5 1152", 16, 7, 7, 1152, 3, 1, 1},
    {"convnext s1", 8, 56, 56, 40, 7, 1, 1}, {"convnext s2", 8, 28, 28, 80, 7, 1, 1}, {"convnext s3", 8, 14, 14, 160, 7, 1, 1}, {"convnext s4", 8, 7, 7, 320, 7, 1, 1},
    {"inception 3x3 c10", 8, 56, 56, 10, 3, 1, 1},
    {"odd c=613 3x3 7x7", 2, 7, 7, 613, 3, 1, 1}, {"odd c=613 s2 9x9", 2, 9, 9, 613, 3, 2, 1}, {"c=21 5x5 d2", 2, 11, 13, 21, 5, 1, 2}, {"c=3 3x3 s2", 2, 8, 7, 3, 3, 2, 1},
    {"c=7 k4 s2", 2, 9, 10, 7, 4, 2, 1}, {"c=1200 3x3 s1 5x5", 3, 5, 5, 1200, 3, 1, 1}, {"c=19 3x3 s1 2x2", 2, 2, 2, 19, 3, 1, 1},
  };
  int n = sizeof S / sizeof S[0];
  if (getenv("SHAPE")) {
    long v[7];
    sscanf(getenv("SHAPE"), "%ld,%ld,%ld,%ld,%ld,%ld,%ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
    S[0].name = "custom"; S[0].B = v[0]; S[0].H = v[1]; S[0].W = v[2]; S[0].C = v[3]; S[0].k = v[4]; S[0].s = v[5]; S[0].d = v[6];
    n = 1;
  }
  for (int i = 0; i < n; i++) {
    if (only && !strstr(S[i].name, only)) continue;
    Geometry g = geo(S[i].B, S[i].H, S[i].W, S[i].C, S[i].k, S[i].s, S[i].d);
    int64_t nx = g.batch * g.inH * g.inW * g.C, ny = g.batch * g.outH * g.outW * g.C, nw = g.kH * g.kW * g.C;
    float *x = rnd(nx), *w = rnd(nw), *bias = rnd(g.C), *dy = rnd(ny);
    float *o1 = rnd(ny), *o2 = rnd(ny), *i1 = rnd(nx), *i2 = rnd(nx), *f1 = rnd(nw), *f2 = rnd(nw);
    double macs = (double)ny * g.kH * g.kW;
    if (check) {
      float *r = rnd(nx > nw ? (nx > ny ? nx : ny) : (nw > ny ? nw : ny));
      ref_fwd(&g, x, w, bias, r); new_fwd(isa, &g, x, w, bias, o2); double e1 = maxerr(o2, r, ny);
      ref_bpi(&g, dy, w, r); new_bpi(isa, &g, dy, w, i2); double e2 = maxerr(i2, r, nx);
      ref_bpf(&g, x, dy, r); new_bpf(isa, &g, x, dy, f2); double e3 = maxerr(f2, r, nw);
      printf("%-20s check fwd %.1e bpi %.1e bpf %.1e %s\n", S[i].name, e1, e2, e3, (e1 < 1e-5 && e2 < 1e-5 && e3 < 1e-5) ? "ok" : "FAIL");
      free(r);
    }
    if (reps == 0) continue;
    {
      // memory floor: one read of x and one write of out (scale), like the forward's traffic
      double tc[256];
      for (int r = 0; r < reps; r++) {
        double a = now();
        for (int64_t j = 0; j < ny; j++) o1[j] = x[j] * 1.5f;
        tc[r] = now() - a;
      }
      qsort(tc, reps, sizeof(double), cmpd);
      printf("%-20s floor(read x(out-sized) + write out) %.3f ms\n", S[i].name, tc[reps / 2]);
    }
    double t[6][256];
    for (int r = 0; r < reps; r++) {
      double a;
      a = now(); old_fwd(isa, &g, x, w, bias, o1); t[0][r] = now() - a;
      a = now(); new_fwd(isa, &g, x, w, bias, o2); t[1][r] = now() - a;
      a = now(); old_bpi(isa, &g, dy, w, i1); t[2][r] = now() - a;
      a = now(); new_bpi(isa, &g, dy, w, i2); t[3][r] = now() - a;
      a = now(); old_bpf(isa, &g, x, dy, f1); t[4][r] = now() - a;
      a = now(); new_bpf(isa, &g, x, dy, f2); t[5][r] = now() - a;
    }
    for (int k = 0; k < 6; k++) qsort(t[k], reps, sizeof(double), cmpd);
    double m[6]; for (int k = 0; k < 6; k++) m[k] = t[k][reps / 2];
    printf("%-20s fwd %6.3f -> %6.3f  bpi %6.3f -> %6.3f  bpf %6.3f -> %6.3f ms  (new GMAC/s %.1f %.1f %.1f)\n", S[i].name, m[0], m[1], m[2], m[3], m[4], m[5],
           macs / m[1] / 1e6, macs / m[3] / 1e6, macs / m[5] / 1e6);
    free(x); free(w); free(bias); free(dy); free(o1); free(o2); free(i1); free(i2); free(f1); free(f2);
  }
  return 0;
}
