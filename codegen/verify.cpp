#include "codegen/verify.h"

#include "runtime/kernel_check.h"

namespace trine::codegen {

Verifier::Verifier(int M, int K, int N, uint64_t seed) : problems_(verification_problems(M, K, N, seed)) {}

const PackedWeights& Verifier::packed(const Family& family, const Candidate& cand, std::size_t problem) {
  auto key = std::make_pair(cand.layout_key, problem);
  auto it = packed_.find(key);
  if (it == packed_.end()) it = packed_.emplace(key, family.pack(cand, problems_[problem].W)).first;
  return it->second;
}

std::string Verifier::check(const Family& family, const Candidate& cand, trine_gemm_fn fn, ThreadPool& pool) {
  for (std::size_t i = 0; i < problems_.size(); ++i) {
    const std::string err = run_and_compare(problems_[i], packed(family, cand, i), fn, pool);
    if (!err.empty()) return err;
  }
  return "";
}

}  // namespace trine::codegen
