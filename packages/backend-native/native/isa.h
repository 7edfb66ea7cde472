// The instruction sets the vector kernels (depthwise.c, gelu.c, layer_norm.c) are compiled for, and the choice among
// them at load: each kernel is built once per target with these attributes (no -march=native, so the addon runs on
// any CPU of its architecture) and the widest one the CPU runs is used, unless NEXTNETS_NATIVE_ISA names a lower one
// ("avx2" or "base"; for tests and A/B measurements).
#ifndef NEXTNETS_ISA_H
#define NEXTNETS_ISA_H
#include <stdlib.h>
#include <string.h>

#define AI inline __attribute__((always_inline))
#define TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define TARGET_AVX2 __attribute__((target("avx2,fma")))

enum { ISA_BASE, ISA_AVX2, ISA_AVX512 };

// Unaligned, aliasing GCC vectors of 16, 8 and 4 floats (and one float): code compiled under TARGET_AVX512 or
// TARGET_AVX2 turns their operations into zmm / ymm instructions, baseline code into several xmm ones.
typedef float vf16 __attribute__((vector_size(64), aligned(4), may_alias));
typedef float vf8 __attribute__((vector_size(32), aligned(4), may_alias));
typedef float vf4 __attribute__((vector_size(16), aligned(4), may_alias));
typedef float vf1 __attribute__((aligned(4), may_alias));

static inline int native_isa(void) {
#if defined(__x86_64__)
  const char *forced = getenv("NEXTNETS_NATIVE_ISA");
  const int allow512 = forced == NULL || strcmp(forced, "avx512") == 0;
  const int allow2 = allow512 || strcmp(forced, "avx2") == 0;
  __builtin_cpu_init();
  if (allow512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return ISA_AVX512;
  if (allow2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return ISA_AVX2;
#endif
  return ISA_BASE;
}

#endif
