// The dispatch table an ahead-of-time kernel library exports (written by `trine aot`). Plain C so
// the generated library builds with any C++ compiler and links into a runtime without LLVM.
#ifndef TRINE_AOT_TABLE_H
#define TRINE_AOT_TABLE_H

#include "runtime/kernel_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

// One kernel for an op. M = K = threads = 0 marks a family default, used for any shape the
// table has no tuned entry for; otherwise the entry is the tuned winner for exactly that shape
// and thread count.
typedef struct trine_aot_kernel {
  const char* op;      // "gemv" (decode, N = 1) or "gemm" (prefill, N > 1)
  int32_t M, K, threads;
  const char* family;  // "mad"
  const char* isa;     // "avx512vnni", "avx2", ...
  const char* config;  // the family's config text
  double median_s;     // tuned time (0 for a default): the fastest usable ISA wins, as under the JIT
  trine_gemm_fn fn;
} trine_aot_kernel;

extern const trine_aot_kernel trine_aot_kernels[];
extern const int32_t trine_aot_kernel_count;
extern const char trine_aot_target[];            // "host", "x86-64-v3", ...
extern const char trine_aot_generator_version[];  // the generator that wrote the sources

#ifdef __cplusplus
}
#endif

#endif
