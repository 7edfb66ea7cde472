// Scratch buffers per thread (replicas run in worker threads of one process, each calling the addon): one buffer per
// slot and thread, grown as needed, 64-byte aligned, freed when its thread ends.
#ifndef NEXTNETS_THREAD_SCRATCH_H
#define NEXTNETS_THREAD_SCRATCH_H
#include <stddef.h>

// One slot per user, so that a kernel's buffer is not the one of a function it calls.
enum { SCRATCH_SGEMM_PACK, SCRATCH_IM2COL_PATCHES, SCRATCH_SLOTS };

// At least `floats` floats of this thread's buffer of `slot` (contents unspecified); NULL when out of memory.
float *thread_scratch(int slot, size_t floats);

#endif
