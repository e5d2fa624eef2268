// Where the engine gets runnable kernels: the JIT (codegen/) in a full build, generated tables in
// an AOT build. The runtime only knows this interface, so it links no LLVM.
#pragma once
#include <string>

#include "runtime/kernel_abi.h"
#include "runtime/packed_weights.h"
#include "runtime/ternary.h"

namespace trine {

// A weight matrix packed for the decode (N = 1) kernel's layout, and for the prefill (N > 1)
// kernel's when that one reads another layout and has its own copy.
struct PreparedMatmul {
  PackedWeights packed;
  PackedWeights prefill_packed;  // empty: prefill reads `packed`
  trine_gemm_fn gemv = nullptr, gemm = nullptr;
  std::string gemv_desc, gemm_desc;  // "mad avx512vnni r16.mb1...(tuned)" for reports
  const PackedWeights& weights_for(int tokens) const {
    return tokens > 1 && prefill_packed.size_bytes() > 0 ? prefill_packed : packed;
  }
};

// What prefill runs when its tuned winner reads another packed layout than decode's winner.
enum class PrefillLayout {
  own,     // a second packed copy for the prefill winner: its speed, for the copy's memory
  decode,  // one copy: the fastest kernel timed on decode's layout (else that family's default)
};

class KernelProvider {
 public:
  virtual ~KernelProvider() = default;
  // Packs W and picks its kernels for `threads` threads.
  virtual PreparedMatmul prepare(const TernaryMatrix& W, int threads) = 0;
};

}  // namespace trine
