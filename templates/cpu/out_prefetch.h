// Every CPU family's kernels prefetch, for writing, the outputs a thread will store before they
// stream any weights. A decode GEMV's y is cold: every weight matrix streamed since its last use
// has pushed it out of the core's caches. A store that misses holds up each later store behind it
// until its line arrives, so without this the first stores of each 64-byte line of y stalled the
// weight stream (2560x2560 decode, MAD r1.mb2: 47.7 -> 46.0 us; 6912x2560: 129.5 -> 122.9 us).
#ifndef TRINE_OUT_PREFETCH_H
#define TRINE_OUT_PREFETCH_H

#include <stdint.h>

#include "runtime/kernel_abi.h"

namespace trine {

// Rows [m0, m1) of y (token 0 only: prefill's outputs are a few lines per weight tile and stay in
// cache between the tiles that write them).
inline void prefetch_out_rows(const trine_gemm_args* a, int64_t m0, int64_t m1) {
  if (a->N != 1) return;
  if (m1 > a->M) m1 = a->M;
  for (int64_t m = m0 & ~int64_t{15}; m < m1; m += 16) __builtin_prefetch(a->y + m, 1, 3);
}

}  // namespace trine

#endif
