// Where the engine gets runnable kernels: the JIT (codegen/) in a full build, generated tables in
// an AOT build. The runtime only knows this interface, so it links no LLVM.
#pragma once
#include <string>

#include "runtime/kernel_abi.h"
#include "runtime/packed_weights.h"
#include "runtime/ternary.h"

namespace trine {

// A weight matrix packed once for one layout, with the decode (N = 1) and prefill (N > 1)
// kernels that read that layout.
struct PreparedMatmul {
  PackedWeights packed;
  trine_gemm_fn gemv = nullptr, gemm = nullptr;
  std::string gemv_desc, gemm_desc;  // "mad avx512vnni r16.mb1...(tuned)" for reports
};

class KernelProvider {
 public:
  virtual ~KernelProvider() = default;
  // Packs W and picks its kernels for `threads` threads.
  virtual PreparedMatmul prepare(const TernaryMatrix& W, int threads) = 0;
};

}  // namespace trine
