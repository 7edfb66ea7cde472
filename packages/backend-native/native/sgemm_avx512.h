// AVX-512 single-precision GEMM (sgemm_avx512.c): C [m, n] = op(A)·op(B) + bias (C += … when accumulate), then relu.
// op(A)[i, p] = a[i·aRow + p·aCol]; op(B)[p, j] = b[p·ldb + j], or b[j·ldb + p] when transB. Returns 0 (C untouched)
// when it cannot run: no memory for the packed B, or not compiled for this architecture.
#ifndef NEXTNETS_SGEMM_AVX512_H
#define NEXTNETS_SGEMM_AVX512_H
#include <stdint.h>

/** Whether this CPU runs the AVX-512F code (checked at run time, so the addon loads on any x86-64). */
int sgemm_avx512_supported(void);

int sgemm_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t aRow, int64_t aCol, const float *b,
                 int64_t ldb, int transB, float *c, const float *bias, int relu, int accumulate);
#endif
