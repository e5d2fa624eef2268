// Bit-for-bit verification of compiled candidates against the scalar reference, before any
// timing: a candidate that is fast and wrong must never be stored.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "codegen/family.h"
#include "runtime/problems.h"
#include "runtime/thread_pool.h"

namespace trine::codegen {

class Verifier {
 public:
  // The problems for a shape (random data on it, edge data, tails), computed once and shared by
  // every candidate and ISA.
  Verifier(int M, int K, int N, uint64_t seed);
  // Empty when the candidate matches on every problem, else the first mismatch, named.
  std::string check(const Family& family, const Candidate& cand, trine_gemm_fn fn, ThreadPool& pool);
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  const PackedWeights& packed(const Family& family, const Candidate& cand, std::size_t problem);
  std::vector<Problem> problems_;
  std::map<std::pair<std::string, std::size_t>, PackedWeights> packed_;  // (layout, problem)
};

}  // namespace trine::codegen
