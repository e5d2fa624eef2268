// The GPU roofline's int8 tensor-core probe: independent mma.sync chains from every warp, the
// same instruction the prefill GEMM issues, so its peak is the one that GEMM can approach.
#ifndef TRINE_CUDA_W2A8_PROBES_CUH
#define TRINE_CUDA_W2A8_PROBES_CUH

#include "w2a8_gemm.cuh"

namespace trine_cuda {

constexpr int kProbeChains = 8;  // independent accumulators per warp: enough to hide mma latency
constexpr int kProbeMacsPerMma = 16 * 8 * 32;

}  // namespace trine_cuda

#ifdef __CUDACC__
extern "C" __global__ void trine_probe_mma(int* sink, int iters) {
  unsigned a[4] = {threadIdx.x, threadIdx.x * 3u, threadIdx.x * 5u, threadIdx.x * 7u};
  unsigned b[2] = {threadIdx.x * 11u, threadIdx.x * 13u};
  int c[trine_cuda::kProbeChains][4] = {};
  for (int i = 0; i < iters; ++i)
#pragma unroll
    for (int j = 0; j < trine_cuda::kProbeChains; ++j) trine_cuda::mma_s8(c[j], a, b);
  int s = 0;
#pragma unroll
  for (int j = 0; j < trine_cuda::kProbeChains; ++j) s += c[j][0] + c[j][1] + c[j][2] + c[j][3];
  if (s == 0x7fffffff) *sink = s;  // never true in practice; keeps the work alive
}
#endif

#endif
