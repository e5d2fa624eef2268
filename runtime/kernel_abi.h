// The binary interface between the runtime and every generated kernel (JIT or AOT).
// Plain C so the same header compiles inside JIT translation units, AOT builds and the runtime.
#ifndef TRINE_KERNEL_ABI_H
#define TRINE_KERNEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// One ternary GEMM: y[n][m] = (float)(sum_k W[m][k] * q[n][k]) * scale[n], for n < N, m < M.
// q rows are zero padded from K up to q_stride (a multiple of TRINE_ACT_ALIGN_K), so a kernel may
// read whole vectors past K. qsum[n] = sum_k q[n][k] lets codes stored as w+1 subtract the offset.
typedef struct trine_gemm_args {
  const uint8_t* w;      // packed weights in the kernel family's layout
  const int8_t* q;       // [N][q_stride] int8 activations
  const int32_t* qsum;   // [N]
  const float* scale;    // [N] wscale / s[n], computed once per token
  float* y;              // [N][y_stride]
  int32_t* scratch;      // per-thread scratch, scratch_stride int32 each (K-blocked partial sums)
  int64_t q_stride;
  int64_t y_stride;
  int64_t scratch_stride;
  int32_t M, K, N;
} trine_gemm_args;

// Every worker of the pool calls the kernel once with its own tid; the kernel picks its rows.
typedef void (*trine_gemm_fn)(const trine_gemm_args* args, int32_t tid, int32_t nthreads);

// Activation rows are padded to a multiple of this many bytes (the largest K chunk of any layout).
#define TRINE_ACT_ALIGN_K 256
// The q buffer stays readable (contents unspecified) this many bytes past the end of its last
// row, so a kernel whose K chunk does not divide TRINE_ACT_ALIGN_K may over-read the final chunk as
// long as its padded weights give those bytes a zero factor (base-3 chunks of 20 k, LUT groups of 3).
#define TRINE_ACT_SLACK 1024
// int32 scratch each thread must get per token of N for K-blocked kernels.
#define TRINE_SCRATCH_PER_TOKEN 256

#ifdef __cplusplus
}
#endif

#endif
