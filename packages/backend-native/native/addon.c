// The addon's module: each kernel group (one file each) adds its functions to the exports.
#include "heap_args.h"

NAPI_MODULE_INIT() {
  register_gemm(env, exports);
  register_depthwise(env, exports);
  register_gelu(env, exports);
  register_layer_norm(env, exports);
  register_norm_act(env, exports);
  register_im2col_conv(env, exports);
  return exports;
}
