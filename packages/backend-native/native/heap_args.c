#include "heap_args.h"
#include <stdio.h>

int read_ints(napi_env env, napi_value *argv, size_t first, size_t count, int64_t *out) {
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_int64(env, argv[first + i], &out[i]) != napi_ok || out[i] < 0) {
      napi_throw_type_error(env, NULL, "nextnets native: offsets and sizes must be non-negative integers");
      return 0;
    }
  }
  return 1;
}

uint8_t *heap_bytes(napi_env env, napi_value value, size_t *length) {
  void *data = NULL;
  if (napi_get_arraybuffer_info(env, value, &data, length) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "nextnets native: the first argument must be the wasm heap's ArrayBuffer");
    return NULL;
  }
  return (uint8_t *)data;
}

int in_heap(napi_env env, size_t length, int64_t offset, int64_t count, const char *what) {
  if (offset % 4 == 0 && offset <= (int64_t)length && count <= ((int64_t)length - offset) / 4) return 1;  // no overflow
  char message[160];
  snprintf(message, sizeof message, "nextnets native: %s (%lld floats at byte %lld) is outside the heap of %zu bytes",
           what, (long long)count, (long long)offset, length);
  napi_throw_range_error(env, NULL, message);
  return 0;
}

int take_args(napi_env env, napi_callback_info info, const char *name, size_t count, napi_value *argv) {
  size_t argc = MAX_ARGS;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == count) return 1;
  char message[120];
  snprintf(message, sizeof message, "nextnets native: %s takes %zu arguments", name, count);
  napi_throw_type_error(env, NULL, message);
  return 0;
}

void export_function(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value value;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &value);
  napi_set_named_property(env, exports, name, value);
}
