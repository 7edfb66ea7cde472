// Single-precision GEMM with AVX-512 for heap_gemm.c, single-threaded (one training replica per core):
//   C = op(A)·op(B) + bias (C += … when accumulate), then relu, row-major, C [m, n] dense.
// op(A)[i, p] is a[i·aRow + p·aCol] (plain A [m, k]: aRow = k, aCol = 1; Aᵀ of A [k, m]: aRow = 1, aCol = m), so
// A is read in place. op(B)[p, j] is b[p·ldb + j] (plain B [k, n]) or b[j·ldb + p] (B [n, k], transB). B is packed
// per block of at most KC depth steps and NC columns into strips of 48 columns (the last one 16, 32 or 48), k-major
// and zero-padded; for each block of MC rows of A (kept in L2) and each strip, the microkernel holds a tile of C in
// zmm registers (8 rows × 48 columns, or 24 × 16 for a 16-column strip: 24 accumulators) and, per depth step, loads
// the strip's vectors and broadcasts one scalar of A per row. This is the Goto/BLIS organisation (K. Goto,
// R. van de Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 2008) without packing A, since
// broadcasts read A's rows (or, for Aᵀ, contiguous columns) straight from the heap.
// Compiled for AVX-512F only through target attributes, so the rest of the addon stays baseline x86-64; callers
// must check sgemm_avx512_supported() first. Not built on other architectures (sgemm_avx512_supported() is 0).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sgemm_avx512.h"
#include "thread_scratch.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx2,fma")))
#define AI inline __attribute__((always_inline))

// KC: depth of a packed block; NC: columns of a packed block; MC: rows of A walked per strip (they stay in L2);
// MAIN_V: vectors per strip (48 columns).
enum { KC = 256, NC = 480, MC = 96, MAIN_V = 3 };

static __mmask16 lane_mask(int64_t cols) { return cols >= 16 ? 0xFFFF : cols <= 0 ? 0 : (__mmask16)((1u << cols) - 1); }

int sgemm_avx512_supported(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

// Packs op(B)[p0 .. p0+kc, j0 .. j0+cols) into one strip of `width` (16, 32 or 48) columns, k-major, zero-padded.
TARGET static void pack_strip(float *out, const float *b, int64_t ldb, int transB, int64_t p0, int64_t kc, int64_t j0,
                              int64_t cols, int64_t width) {
  if (!transB) {
    __mmask16 masks[3];
    for (int v = 0; v < 3; v++) masks[v] = lane_mask(cols - 16 * v);
    const float *src = b + p0 * ldb + j0;
    for (int64_t p = 0; p < kc; p++, src += ldb, out += width)
      for (int64_t v = 0; v < width / 16; v++) _mm512_store_ps(out + 16 * v, _mm512_maskz_loadu_ps(masks[v], src + 16 * v));
  } else {
    // B [n, k]: column j of op(B) is row j of B, contiguous in p
    if (cols < width) memset(out, 0, (size_t)(kc * width) * sizeof(float));
    for (int64_t c = 0; c < cols; c++) {
      const float *src = b + (j0 + c) * ldb + p0;
      for (int64_t p = 0; p < kc; p++) out[p * width + c] = src[p];
    }
  }
}

// Writes one accumulated vector of C: the first depth block seeds it (bias, and C itself when accumulating), the
// later ones add to it; relu after the last block.
TARGET static AI void store_c(float *c, __m512 v, __mmask16 mask, const float *bias, int first, int seed_c, int relu) {
  if (first) {
    if (bias != NULL) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias));
    if (seed_c) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, c));
  } else {
    v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, c));
  }
  if (relu) v = _mm512_max_ps(_mm512_setzero_ps(), v);  // a NaN stays NaN (MAXPS returns the second operand then)
  _mm512_mask_storeu_ps(c, mask, v);
}

typedef struct {
  const float *bias;  // at the strip's first column, or NULL
  int first, seed_c, relu;
  __mmask16 mask[3];  // the valid columns of each vector
} Epilogue;

// C[0 .. rows, 0 .. 16·V) (ldc apart) from `rows` rows of A (aRow apart, aCol per depth step) and a packed strip of
// 16·V columns: rows × V accumulators (at most 24 of the 32 zmm registers).
TARGET static AI void kernel(int V, int rows, int64_t kc, const float *a, int64_t aRow, int64_t aCol, const float *bp,
                             float *c, int64_t ldc, const Epilogue *e) {
  __m512 acc[24][3];
#pragma GCC unroll 24
  for (int r = 0; r < rows; r++)
#pragma GCC unroll 3
    for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++, bp += 16 * V, a += aCol) {
    __m512 bv[3];
#pragma GCC unroll 3
    for (int v = 0; v < V; v++) bv[v] = _mm512_load_ps(bp + 16 * v);
#pragma GCC unroll 24
    for (int r = 0; r < rows; r++) {
      const __m512 av = _mm512_set1_ps(a[r * aRow]);
#pragma GCC unroll 3
      for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 24
  for (int r = 0; r < rows; r++)
#pragma GCC unroll 3
    for (int v = 0; v < V; v++)
      if (e->mask[v])
        store_c(c + r * ldc + 16 * v, acc[r][v], e->mask[v], e->bias != NULL ? e->bias + 16 * v : NULL, e->first,
                e->seed_c, e->relu);
}

// One instance per vector count V and row count, so the accumulators stay in registers: V = 3 takes up to 8 rows,
// V = 2 up to 12, V = 1 up to 24.
typedef void (*Kernel)(int64_t, const float *, int64_t, int64_t, const float *, float *, int64_t, const Epilogue *);
#define K(V, R) TARGET static void k##V##_##R(int64_t kc, const float *a, int64_t aRow, int64_t aCol, const float *bp, float *c, int64_t ldc, const Epilogue *e) { kernel(V, R, kc, a, aRow, aCol, bp, c, ldc, e); }
K(3, 1) K(3, 2) K(3, 3) K(3, 4) K(3, 5) K(3, 6) K(3, 7) K(3, 8)
K(2, 1) K(2, 2) K(2, 3) K(2, 4) K(2, 5) K(2, 6) K(2, 7) K(2, 8) K(2, 9) K(2, 10) K(2, 11) K(2, 12)
K(1, 1) K(1, 2) K(1, 3) K(1, 4) K(1, 5) K(1, 6) K(1, 7) K(1, 8) K(1, 9) K(1, 10) K(1, 11) K(1, 12) K(1, 13) K(1, 14) K(1, 15) K(1, 16) K(1, 17) K(1, 18) K(1, 19) K(1, 20) K(1, 21) K(1, 22) K(1, 23) K(1, 24)
static const Kernel kernels3[9] = {NULL, k3_1, k3_2, k3_3, k3_4, k3_5, k3_6, k3_7, k3_8};
static const Kernel kernels2[13] = {NULL, k2_1, k2_2, k2_3, k2_4, k2_5, k2_6, k2_7, k2_8, k2_9, k2_10, k2_11, k2_12};
static const Kernel kernels1[25] = {NULL, k1_1, k1_2, k1_3, k1_4, k1_5, k1_6, k1_7, k1_8, k1_9, k1_10, k1_11, k1_12,
                                    k1_13, k1_14, k1_15, k1_16, k1_17, k1_18, k1_19, k1_20, k1_21, k1_22, k1_23, k1_24};
static const Kernel *const kernels[4] = {NULL, kernels1, kernels2, kernels3};
static const int rows_of[4] = {0, 24, 12, 8};

TARGET int sgemm_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t aRow, int64_t aCol, const float *b,
                        int64_t ldb, int transB, float *c, const float *bias, int relu, int accumulate) {
  if (k <= 0) {  // no product: C = bias (+ C when accumulating), then relu
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        float v = (accumulate ? c[i * n + j] : 0.0f) + (bias != NULL ? bias[j] : 0.0f);
        c[i * n + j] = relu && v < 0.0f ? 0.0f : v;
      }
    return 1;
  }
  // depth blocks of at most KC, evenly sized
  const int64_t kBlocks = (k + KC - 1) / KC, kcMax = (k + kBlocks - 1) / kBlocks;
  const int64_t ncMax = n < NC ? n : NC;
  float *packed = thread_scratch(SCRATCH_SGEMM_PACK, (size_t)(kcMax * (ncMax + 48)));  // one per thread
  if (packed == NULL) return 0;
  for (int64_t j0 = 0; j0 < n; j0 += NC) {
    const int64_t nc = n - j0 < NC ? n - j0 : NC;
    // strips of 48 columns (16 · MAIN_V), the last one of 16, 32 or 48
    int64_t stripAt[NC / 16 + 1], stripV[NC / 16 + 1], strips = 0;
    for (int64_t s = 0; s < nc; strips++) {
      const int64_t left = nc - s, v = left >= 16 * MAIN_V ? MAIN_V : (left + 15) / 16;
      stripAt[strips] = s;
      stripV[strips] = v;
      s += 16 * v;
    }
    for (int64_t p0 = 0; p0 < k; p0 += kcMax) {
      const int64_t kc = k - p0 < kcMax ? k - p0 : kcMax;
      for (int64_t s = 0; s < strips; s++) {
        const int64_t cols = nc - stripAt[s] < 16 * stripV[s] ? nc - stripAt[s] : 16 * stripV[s];
        pack_strip(packed + stripAt[s] * kc, b, ldb, transB, p0, kc, j0 + stripAt[s], cols, 16 * stripV[s]);
      }
      Epilogue e = {NULL, p0 == 0, accumulate, relu && p0 + kc == k, {0, 0, 0}};
      for (int64_t i0 = 0; i0 < m; i0 += MC) {
        const int64_t mc = m - i0 < MC ? m - i0 : MC;
        for (int64_t s = 0; s < strips; s++) {
          const int V = (int)stripV[s], R = rows_of[V];
          const int64_t j = j0 + stripAt[s];
          for (int v = 0; v < 3; v++) e.mask[v] = v < V ? lane_mask(j0 + nc - j - 16 * v) : 0;
          e.bias = bias != NULL ? bias + j : NULL;
          const float *bp = packed + stripAt[s] * kc;
          for (int64_t i = i0; i < i0 + mc; i += R) {
            const int rows = i0 + mc - i < R ? (int)(i0 + mc - i) : R;
            kernels[V][rows](kc, a + i * aRow + p0 * aCol, aRow, aCol, bp, c + i * n + j, n, &e);
          }
        }
      }
    }
  }
  return 1;
}

#else
int sgemm_avx512_supported(void) { return 0; }
int sgemm_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t aRow, int64_t aCol, const float *b,
                 int64_t ldb, int transB, float *c, const float *bias, int relu, int accumulate) {
  (void)m, (void)n, (void)k, (void)a, (void)aRow, (void)aCol, (void)b, (void)ldb, (void)transB, (void)c, (void)bias,
      (void)relu, (void)accumulate;
  return 0;
}
#endif
