// Argument checks shared by the addon's kernels: every kernel takes the wasm heap's ArrayBuffer first, then byte
// offsets of tensors inside it and sizes; each check throws a one-line JS error and returns 0/NULL on bad input.
#ifndef NEXTNETS_HEAP_ARGS_H
#define NEXTNETS_HEAP_ARGS_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_ARGS 24

// Reads argv[first..first+count) as non-negative integers (offsets and sizes); false after throwing a JS error.
int read_ints(napi_env env, napi_value *argv, size_t first, size_t count, int64_t *out);

// The heap's bytes (an ArrayBuffer); NULL after throwing.
uint8_t *heap_bytes(napi_env env, napi_value value, size_t *length);

// True when floats [offset, offset + count·4) lie inside the heap; throws a RangeError otherwise.
int in_heap(napi_env env, size_t length, int64_t offset, int64_t count, const char *what);

// Reads exactly `count` arguments into argv; false after throwing "<name> takes <count> arguments".
int take_args(napi_env env, napi_callback_info info, const char *name, size_t count, napi_value *argv);

// exports[name] = fn
void export_function(napi_env env, napi_value exports, const char *name, napi_callback fn);

// Each kernel group adds its functions to the module's exports (heap_gemm.c, ...).
void register_gemm(napi_env env, napi_value exports);
void register_depthwise(napi_env env, napi_value exports);
void register_gelu(napi_env env, napi_value exports);
void register_layer_norm(napi_env env, napi_value exports);
void register_norm_act(napi_env env, napi_value exports);
void register_im2col_conv(napi_env env, napi_value exports);

#endif
