// Matrix products on the wasm backend's heap, computed by OpenBLAS (cblas_sgemm) in place: the pointers are byte
// offsets of tfjs tensors inside the ArrayBuffer of the wasm memory, nothing is copied. Same contract as
// @nextnets/backend's AssemblyScript GEMM (packages/backend/assembly/matmul.ts), row-major, one batch entry per call:
//   gemmNN(heap, a, b, c, bias, m, n, k, aRow, aCol, relu, accumulate): C = op(A)·B + bias (C += … when accumulate),
//     op(A)[i, p] at a + i·aRow + p·aCol floats: A [m, k] is aRow = k, aCol = 1; Aᵀ of A [k, m] is aRow = 1, aCol = m.
//   gemmNT(heap, a, b, c, bias, m, n, k, relu): C = A·Bᵀ + bias, A [m, k], B [n, k].
// bias = 0: none, else bias[j] is added to every row; relu != 0 clamps at 0 after the bias.
// OpenBLAS is declared here rather than through cblas.h, so only the runtime library (libopenblas0) is needed.
// With one OpenBLAS thread on a CPU with AVX-512F, the products run on our own kernel (sgemm_avx512.c) instead, which
// beats OpenBLAS's AVX2 kernels on ConvNeXt's shapes; NEXTNETS_NATIVE_SGEMM=openblas keeps OpenBLAS for every product.
#include <stdlib.h>
#include <string.h>
#include "heap_args.h"
#include "heap_gemm.h"
#include "sgemm_avx512.h"

enum { CblasRowMajor = 101 };
enum { CblasNoTrans = 111, CblasTrans = 112 };
extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc);
extern void openblas_set_num_threads(int threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_corename(void);

// Seeds C for a product with beta 1: the bias rows, or (accumulate) C plus the bias.
static void epilogue_prepare(float *c, const float *bias, int64_t m, int64_t n, int accumulate) {
  if (accumulate) {
    if (bias == NULL) return;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) c[i * n + j] += bias[j];
  } else if (bias != NULL) {
    for (int64_t i = 0; i < m; i++) memcpy(c + i * n, bias, (size_t)n * sizeof(float));
  }
}

static void relu_in_place(float *c, int64_t count) {
  for (int64_t i = 0; i < count; i++)
    if (c[i] < 0) c[i] = 0;
}

// Whether products may run on sgemm_avx512: the CPU has AVX-512F and NEXTNETS_NATIVE_SGEMM is not "openblas".
// Decided once per process (every thread computes the same answer, so the atomic store may race harmlessly).
static _Atomic int own_sgemm_allowed = -1;

static int own_sgemm_usable(void) {
  int allowed = own_sgemm_allowed;
  if (allowed < 0) {
    const char *choice = getenv("NEXTNETS_NATIVE_SGEMM");
    allowed = sgemm_avx512_supported() && !(choice != NULL && strcmp(choice, "openblas") == 0);
    own_sgemm_allowed = allowed;
  }
  return allowed;
}

// The kernel of the next products: ours while OpenBLAS runs one thread (it is single-threaded), else OpenBLAS.
static int own_sgemm_in_use(void) { return own_sgemm_usable() && openblas_get_num_threads() == 1; }

// C = op(A)·op(B) + bias (C += … when accumulate), then relu (heap_gemm.h): the bias rows (or C itself) seed C and the
// product adds to it with beta 1.
void native_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float *c, const float *bias, int relu, int accumulate) {
  if (own_sgemm_in_use() &&
      sgemm_avx512(m, n, k, a, transA ? 1 : lda, transA ? lda : 1, b, ldb, transB, c, bias, relu, accumulate))
    return;
  epilogue_prepare(c, bias, m, n, accumulate);
  float beta = (accumulate || bias != NULL) ? 1.0f : 0.0f;
  if (k > 0) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, (int)m, (int)n,
                (int)k, 1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)n);
  } else if (beta == 0.0f) {
    memset(c, 0, (size_t)(m * n) * sizeof(float));
  }
  if (relu) relu_in_place(c, m * n);
}

// native_sgemm on tensors of the heap; offsets are bytes into the heap, already checked (bias 0: none).
static void product(uint8_t *heap, int transA, int transB, int64_t m, int64_t n, int64_t k, int64_t a, int64_t lda,
                    int64_t b, int64_t ldb, int64_t c, int64_t bias, int relu, int accumulate) {
  native_sgemm(transA, transB, m, n, k, (const float *)(heap + a), lda, (const float *)(heap + b), ldb,
               (float *)(heap + c), bias != 0 ? (const float *)(heap + bias) : NULL, relu, accumulate);
}

static napi_value gemm_nn(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "gemmNN", 12, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[11];
  if (heap == NULL || !read_ints(env, argv, 1, 11, v)) return NULL;
  int64_t a = v[0], b = v[1], c = v[2], bias = v[3], m = v[4], n = v[5], k = v[6], aRow = v[7], aCol = v[8];
  int relu = v[9] != 0, accumulate = v[10] != 0;
  int transA;
  int64_t lda;
  if (aCol == 1 && aRow >= k) { transA = 0; lda = aRow; }       // A [m, k] rows aRow apart
  else if (aRow == 1 && aCol >= m) { transA = 1; lda = aCol; }  // Aᵀ of A [k, m] rows aCol apart
  else {
    napi_throw_range_error(env, NULL, "nextnets native gemm: gemmNN needs aCol = 1 or aRow = 1 (a plain or transposed matrix)");
    return NULL;
  }
  int64_t aFloats = !transA ? (m - 1) * lda + k : (k - 1) * lda + m;
  if (m == 0 || n == 0) return NULL;
  if (!in_heap(env, length, a, k == 0 ? 0 : aFloats, "A") || !in_heap(env, length, b, k * n, "B") ||
      !in_heap(env, length, c, m * n, "C") || (bias != 0 && !in_heap(env, length, bias, n, "bias")))
    return NULL;
  product(heap, transA, 0, m, n, k, a, lda, b, n, c, bias, relu, accumulate);
  return NULL;
}

static napi_value gemm_nt(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, "gemmNT", 9, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[8];
  if (heap == NULL || !read_ints(env, argv, 1, 8, v)) return NULL;
  int64_t a = v[0], b = v[1], c = v[2], bias = v[3], m = v[4], n = v[5], k = v[6];
  int relu = v[7] != 0;
  if (m == 0 || n == 0) return NULL;
  if (!in_heap(env, length, a, m * k, "A") || !in_heap(env, length, b, n * k, "B") || !in_heap(env, length, c, m * n, "C") ||
      (bias != 0 && !in_heap(env, length, bias, n, "bias")))
    return NULL;
  product(heap, 0, 1, m, n, k, a, k, b, k, c, bias, relu, 0);
  return NULL;
}

// setThreads(n): OpenBLAS's thread count for every later call (process-wide); returns the count in effect.
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t threads = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1) {
    napi_throw_type_error(env, NULL, "nextnets native gemm: setThreads takes a positive integer");
    return NULL;
  }
  openblas_set_num_threads(threads);
  napi_value result;
  napi_create_int32(env, openblas_get_num_threads(), &result);
  return result;
}

// coreName(): the kernels OpenBLAS picked at load (e.g. "SkylakeX", "Haswell"; OPENBLAS_CORETYPE overrides it).
static napi_value core_name(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &result);
  return result;
}

// gemmKernel(): the kernel of the next products, "avx512" (sgemm_avx512.c) or "openblas".
static napi_value gemm_kernel(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_string_utf8(env, own_sgemm_in_use() ? "avx512" : "openblas", NAPI_AUTO_LENGTH, &result);
  return result;
}

void register_gemm(napi_env env, napi_value exports) {
  export_function(env, exports, "coreName", core_name);
  export_function(env, exports, "gemmKernel", gemm_kernel);
  export_function(env, exports, "gemmNN", gemm_nn);
  export_function(env, exports, "gemmNT", gemm_nt);
  export_function(env, exports, "setThreads", set_threads);
}
