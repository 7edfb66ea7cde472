#include "conv_args.h"
#include <stdio.h>

/** a·b·c·d, or -1 when it does not fit an int64 (then no heap is that large). */
static int64_t product4(int64_t a, int64_t b, int64_t c, int64_t d) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r) || __builtin_mul_overflow(r, c, &r) || __builtin_mul_overflow(r, d, &r)) return -1;
  return r;
}

uint8_t *take_conv_call(napi_env env, napi_callback_info info, const char *name, int dense, Geometry *g, int n,
                        const int kinds[], const char *const names[], int64_t offsets[]) {
  const size_t numbers = dense ? 15 : 14;
  napi_value argv[MAX_ARGS];
  if (!take_args(env, info, name, 1 + numbers + (size_t)n, argv)) return NULL;
  size_t length;
  uint8_t *heap = heap_bytes(env, argv[0], &length);
  int64_t v[15];
  if (heap == NULL || !read_ints(env, argv, 1, numbers, v) || !read_ints(env, argv, 1 + numbers, (size_t)n, offsets)) return NULL;
  *g = (Geometry){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], dense ? v[14] : v[3]};
  if (g->sH < 1 || g->sW < 1 || g->dH < 1 || g->dW < 1) {
    char message[120];
    snprintf(message, sizeof message, "nextnets native %s: strides and dilations must be at least 1", name);
    napi_throw_range_error(env, NULL, message);
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    if (kinds[i] == CONV_BIAS && offsets[i] == 0) continue;
    const int64_t count = kinds[i] == CONV_INPUT    ? product4(g->batch, g->inH, g->inW, g->C)
                          : kinds[i] == CONV_OUTPUT ? product4(g->batch, g->outH, g->outW, g->outC)
                          : kinds[i] == CONV_FILTER ? product4(g->kH, g->kW, g->C, dense ? g->outC : 1)
                                                    : g->outC;
    if (count < 0 || count > (int64_t)length) {
      char message[160];
      snprintf(message, sizeof message, "nextnets native: %s of %s is larger than the heap of %zu bytes", names[i], name, length);
      napi_throw_range_error(env, NULL, message);
      return NULL;
    }
    if (!in_heap(env, length, offsets[i], count, names[i])) return NULL;
  }
  return heap;
}

napi_value conv_no_memory(napi_env env, const char *name) {
  char message[120];
  snprintf(message, sizeof message, "nextnets native: %s could not allocate its scratch memory", name);
  napi_throw_error(env, NULL, message);
  return NULL;
}
