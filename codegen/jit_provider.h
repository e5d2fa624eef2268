// KernelProvider backed by the tuning database and the JIT: each weight shape gets its tuned
// decode and prefill winners (or the defaults), compiled once per shape.
#pragma once
#include <map>
#include <utility>

#include "codegen/kernel_compiler.h"
#include "codegen/resolve.h"
#include "runtime/host.h"
#include "runtime/kernel_provider.h"
#include "runtime/tuning_db.h"

namespace trine::codegen {

class JitKernelProvider final : public KernelProvider {
 public:
  // db may be null (defaults everywhere). isas: most capable first.
  JitKernelProvider(CompilerSet& compilers, const TuningDb* db, const HostInfo& host, std::vector<Isa> isas,
                    PrefillLayout prefill = PrefillLayout::own);
  PreparedMatmul prepare(const TernaryMatrix& W, int threads) override;

 private:
  struct Choice {
    Resolved gemv, gemm;
    bool own_prefill_copy = false;
    std::string gemv_desc, gemm_desc;
  };
  const Choice& choose(int M, int K, int threads);

  CompilerSet& compilers_;
  const TuningDb* db_;
  const HostInfo& host_;
  std::vector<Isa> isas_;
  PrefillLayout prefill_;
  std::map<std::tuple<int, int, int>, Choice> chosen_;
};

}  // namespace trine::codegen
