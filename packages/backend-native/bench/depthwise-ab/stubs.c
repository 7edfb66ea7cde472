// The N-API and argument-check symbols depthwise.c refers to; the harness never calls its N-API entry points.
void export_function(void) {}
void heap_bytes(void) {}
void in_heap(void) {}
void napi_create_string_utf8(void) {}
void napi_throw_error(void) {}
void napi_throw_range_error(void) {}
void read_ints(void) {}
void take_args(void) {}
void take_conv_call(void) {}
void conv_no_memory(void) {}
