// Single-precision GEMM with AVX-512 for heap_gemm.c, single-threaded (one training replica per core):
//   C = op(A)·op(B) + bias (C += … when accumulate), then relu, row-major, C [m, n] dense.
// op(A)[i, p] is a[i·aRow + p·aCol] (plain A [m, k]: aRow = k, aCol = 1; Aᵀ of A [k, m]: aRow = 1, aCol = m), so
// A is read in place. op(B)[p, j] is b[p·ldb + j] (plain B [k, n]) or b[j·ldb + p] (B [n, k], transB). B is packed
// per block of KC depth steps into strips of 32 columns, k-major and zero-padded (the classic Goto/BLIS
// organisation: K. Goto, R. van de Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 2008); the
// microkernel keeps an MR × 32 tile of C in 2·MR zmm registers and, per depth step, loads two vectors of the strip
// and broadcasts MR scalars of A. A last strip of at most 16 columns uses a one-vector kernel.
// Compiled for AVX-512F only through target attributes, so the rest of the addon stays baseline x86-64; callers
// must check sgemm_avx512_supported() first. Not built on other architectures (sgemm_avx512_supported() is 0).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sgemm_avx512.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx2,fma")))
#define AI inline __attribute__((always_inline))

enum { NR = 32, KC = 256, NC = 512 };

int sgemm_avx512_supported(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

// Packed B of one call: grown as needed, kept per thread (replicas run in worker threads of one process).
static _Thread_local float *pack_buffer;
static _Thread_local size_t pack_capacity;

static float *pack_space(size_t floats) {
  if (floats > pack_capacity) {
    free(pack_buffer);
    pack_buffer = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    pack_capacity = pack_buffer != NULL ? floats : 0;
  }
  return pack_buffer;
}

// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into strips of `width` columns: strip s holds kc rows of `width` floats.
TARGET static void pack_b(float *dst, const float *b, int64_t ldb, int transB, int64_t p0, int64_t kc, int64_t j0,
                          int64_t nc, int64_t width) {
  for (int64_t s = 0; s < nc; s += width) {
    const int64_t cols = nc - s < width ? nc - s : width;
    float *out = dst + s * kc;
    if (!transB) {
      const __mmask16 lo = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
      const __mmask16 hi = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
      const float *src = b + p0 * ldb + j0 + s;
      for (int64_t p = 0; p < kc; p++, src += ldb, out += width) {
        _mm512_store_ps(out, _mm512_maskz_loadu_ps(lo, src));
        if (width == 32) _mm512_store_ps(out + 16, _mm512_maskz_loadu_ps(hi, src + 16));
      }
    } else {
      // B [n, k]: column j of op(B) is row j of B, contiguous in p; transpose through the strip.
      memset(out, 0, (size_t)(kc * width) * sizeof(float));
      for (int64_t c = 0; c < cols; c++) {
        const float *src = b + (j0 + s + c) * ldb + p0;
        for (int64_t p = 0; p < kc; p++) out[p * width + c] = src[p];
      }
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
  if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
  _mm512_mask_storeu_ps(c, mask, v);
}

typedef struct {
  const float *bias;  // at the tile's first column, or NULL
  int first, seed_c, relu;
  __mmask16 lo, hi;   // the valid columns of the two vectors
} Epilogue;

// C[0 .. rows, 0 .. 32] (ldc apart) from rows of A (aRow apart, aCol per depth step) and a packed strip of 32.
TARGET static AI void kernel32(int rows, int64_t kc, const float *a, int64_t aRow, int64_t aCol, const float *bp,
                               float *c, int64_t ldc, const Epilogue *e) {
  __m512 acc[8][2];
  for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  const float *ap = a;
  for (int64_t p = 0; p < kc; p++, bp += 32, ap += aCol) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
    for (int r = 0; r < rows; r++) {
      const __m512 av = _mm512_set1_ps(ap[r * aRow]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < rows; r++) {
    store_c(c + r * ldc, acc[r][0], e->lo, e->bias, e->first, e->seed_c, e->relu);
    if (e->hi) store_c(c + r * ldc + 16, acc[r][1], e->hi, e->bias != NULL ? e->bias + 16 : NULL, e->first, e->seed_c, e->relu);
  }
}

// The same for a strip of 16 columns.
TARGET static AI void kernel16(int rows, int64_t kc, const float *a, int64_t aRow, int64_t aCol, const float *bp,
                               float *c, int64_t ldc, const Epilogue *e) {
  __m512 acc[8];
  for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps();
  const float *ap = a;
  for (int64_t p = 0; p < kc; p++, bp += 16, ap += aCol) {
    const __m512 b0 = _mm512_load_ps(bp);
    for (int r = 0; r < rows; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(ap[r * aRow]), b0, acc[r]);
  }
  for (int r = 0; r < rows; r++) store_c(c + r * ldc, acc[r], e->lo, e->bias, e->first, e->seed_c, e->relu);
}

// One instance per row count, so the accumulators stay in registers.
#define K32(R) TARGET static void k32_##R(int64_t kc, const float *a, int64_t aRow, int64_t aCol, const float *bp, float *c, int64_t ldc, const Epilogue *e) { kernel32(R, kc, a, aRow, aCol, bp, c, ldc, e); }
#define K16(R) TARGET static void k16_##R(int64_t kc, const float *a, int64_t aRow, int64_t aCol, const float *bp, float *c, int64_t ldc, const Epilogue *e) { kernel16(R, kc, a, aRow, aCol, bp, c, ldc, e); }
K32(1) K32(2) K32(3) K32(4) K32(5) K32(6) K32(7) K32(8)
K16(1) K16(2) K16(3) K16(4) K16(5) K16(6) K16(7) K16(8)
typedef void (*Kernel)(int64_t, const float *, int64_t, int64_t, const float *, float *, int64_t, const Epilogue *);
static const Kernel kernels32[9] = {NULL, k32_1, k32_2, k32_3, k32_4, k32_5, k32_6, k32_7, k32_8};
static const Kernel kernels16[9] = {NULL, k16_1, k16_2, k16_3, k16_4, k16_5, k16_6, k16_7, k16_8};

static __mmask16 lane_mask(int64_t cols) { return cols >= 16 ? 0xFFFF : cols <= 0 ? 0 : (__mmask16)((1u << cols) - 1); }

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
  const int64_t ncMax = n < NC ? n : NC;
  const int64_t kcMax = k < KC ? k : KC;
  float *packed = pack_space((size_t)(kcMax * ((ncMax + NR - 1) / NR * NR)));
  if (packed == NULL) return 0;
  for (int64_t j0 = 0; j0 < n; j0 += NC) {
    const int64_t nc = n - j0 < NC ? n - j0 : NC;
    // the full strips of 32, then a last one of 32 or (≤ 16 columns left) 16
    const int64_t full = nc / NR, rest = nc - full * NR;
    const int64_t lastWidth = rest == 0 ? 0 : rest > 16 ? 32 : 16;
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
      const int64_t kc = k - p0 < KC ? k - p0 : KC;
      const int first = p0 == 0, last = p0 + kc == k;
      pack_b(packed, b, ldb, transB, p0, kc, j0, full * NR, NR);
      if (rest) pack_b(packed + full * NR * kc, b, ldb, transB, p0, kc, j0 + full * NR, rest, lastWidth);
      Epilogue e = {NULL, first, accumulate, relu && last, 0xFFFF, 0xFFFF};
      for (int64_t i0 = 0; i0 < m; i0 += 8) {
        const int rows = m - i0 < 8 ? (int)(m - i0) : 8;
        const float *ai = a + i0 * aRow + p0 * aCol;
        for (int64_t s = 0; s < full; s++) {
          e.bias = bias != NULL ? bias + j0 + s * NR : NULL;
          e.lo = e.hi = 0xFFFF;
          kernels32[rows](kc, ai, aRow, aCol, packed + s * NR * kc, c + i0 * n + j0 + s * NR, n, &e);
        }
        if (rest) {
          e.bias = bias != NULL ? bias + j0 + full * NR : NULL;
          e.lo = lane_mask(rest);
          e.hi = lane_mask(rest - 16);
          const float *bp = packed + full * NR * kc;
          float *ci = c + i0 * n + j0 + full * NR;
          if (lastWidth == 32) kernels32[rows](kc, ai, aRow, aCol, bp, ci, n, &e);
          else kernels16[rows](kc, ai, aRow, aCol, bp, ci, n, &e);
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
