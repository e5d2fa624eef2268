// The kernels of an ahead-of-time build: the dispatch table `trine aot` generated, linked in as
// the trine_aot_kernels library. Chooses per weight shape the way the JIT provider does (tuned
// winner for the exact shape and thread count, fastest usable ISA, else the default), so the two
// builds run the same kernels.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "runtime/aot_table.h"
#include "runtime/isa.h"
#include "runtime/kernel_provider.h"

namespace trine::aot {

std::span<const trine_aot_kernel> table();
std::string target();  // the --target the table was generated for

class AotKernelProvider final : public KernelProvider {
 public:
  // isas: the host's usable ISAs, most capable first. Throws Error when the table has kernels
  // for none of them.
  explicit AotKernelProvider(std::vector<Isa> isas, PrefillLayout prefill = PrefillLayout::own);
  PreparedMatmul prepare(const TernaryMatrix& W, int threads) override;

 private:
  const trine_aot_kernel* tuned(const char* op, int M, int K, int threads) const;
  const trine_aot_kernel* fallback(const char* op, const std::string& isa, const std::string* layout) const;
  std::vector<std::string> isas_;  // usable here and present in the table, most capable first
  PrefillLayout prefill_;
};

}  // namespace trine::aot
