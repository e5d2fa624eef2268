// The CUDA kernels' configs (see templates/cuda/*.cuh for what each knob does), their launch
// geometry, and the packing of weights into the GPU layout. No CUDA headers: the tuner, the AOT
// emitter and the CPU-only build all read configs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/kernel_spec.h"
#include "runtime/packed_weights.h"

namespace trine {

struct CudaConfig {
  Op op = Op::gemv;  // gemv: the dp4a row kernel; gemm: the tensor-core tile kernel
  int tpr = 8, warps = 4, vec = 16, unroll = 2;   // gemv
  int bm = 64, bn = 64, wm = 2, wn = 2, stages = 2;  // gemm

  std::string str() const;     // "gv.t8.w4.v16.u2" or "mm.bm64.bn64.wm2.wn2.s2"
  std::string symbol() const;  // extern "C" kernel name
  int threads() const;         // per block
  // Blocks along x (rows) and y (tokens) for an M x K weight and N tokens.
  unsigned grid_x(int M) const;
  unsigned grid_y(int N) const;
  int shared_bytes() const;    // static shared memory per block
  std::string violation() const;  // empty when legal
  bool operator==(const CudaConfig&) const = default;

  // Throws Error naming the text when it is not a well-formed, legal config.
  static CudaConfig parse(const std::string& text);
};

CudaConfig cuda_default(Op op);

// The config that runs one op on one weight shape: a tuned winner, or the op's default.
struct CudaKernelChoice {
  Op op = Op::gemv;
  int M = 0, K = 0;  // 0: the op's default, used where no tuned shape matches
  CudaConfig config;
  double median_s = 0;
  bool tuned() const { return M != 0; }
};
// The choice for op on M x K: its tuned entry, else the op's default entry. Throws Error when
// choices hold neither.
const CudaKernelChoice& pick_cuda_kernel(const std::vector<CudaKernelChoice>& choices, Op op, int M, int K);

// Every CUDA kernel reads one layout (templates/cuda/w2a8_common.cuh), so a decode and a
// prefill winner share one packed copy.
inline constexpr const char* kCudaLayoutKey = "cuda/w2r";
PackedWeights pack_cuda(const TernaryMatrix& W);
int64_t cuda_packed_bytes(int M, int K);

}  // namespace trine
