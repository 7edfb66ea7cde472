// The addon's matrix product for other kernels (im2col_conv.c): the entry point of gemmNN / gemmNT (heap_gemm.c), so
// the same kernel runs (the own AVX-512 SGEMM with one OpenBLAS thread on an AVX-512 CPU, else OpenBLAS, and
// NEXTNETS_NATIVE_SGEMM=openblas still forces OpenBLAS). Row-major, C [m, n] dense (ldc = n):
//   C = op(A)·op(B) + bias (C += … when accumulate), then relu; bias NULL: none.
// op(A) is A [m, k] (lda ≥ k) or, transA, Aᵀ of A [k, m] (lda ≥ m); op(B) is B [k, n] (ldb ≥ n) or, transB, Bᵀ of
// B [n, k] (ldb ≥ k).
#ifndef NEXTNETS_HEAP_GEMM_H
#define NEXTNETS_HEAP_GEMM_H
#include <stdint.h>

void native_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float *c, const float *bias, int relu, int accumulate);

#endif
