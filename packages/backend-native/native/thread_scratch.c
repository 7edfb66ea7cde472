#include "thread_scratch.h"
#include <pthread.h>
#include <stdlib.h>

// One pthread key per slot, whose destructor frees the thread's buffer; the first 64 bytes of a buffer hold its
// capacity in floats.
static pthread_key_t keys[SCRATCH_SLOTS];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void keys_create(void) {
  for (int i = 0; i < SCRATCH_SLOTS; i++) pthread_key_create(&keys[i], free);
}

float *thread_scratch(int slot, size_t floats) {
  pthread_once(&keys_once, keys_create);
  size_t *buffer = pthread_getspecific(keys[slot]);
  if (buffer == NULL || buffer[0] < floats) {
    free(buffer);
    buffer = aligned_alloc(64, 64 + (floats * sizeof(float) + 63) / 64 * 64);
    if (buffer != NULL) buffer[0] = floats;
    pthread_setspecific(keys[slot], buffer);
    if (buffer == NULL) return NULL;
  }
  return (float *)(buffer + 64 / sizeof(size_t));
}
