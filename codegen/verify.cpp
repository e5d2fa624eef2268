#include "codegen/verify.h"

#include <cstring>
#include <limits>

#include <fmt/format.h>

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
    const Problem& p = problems_[i];
    const PackedWeights& pw = packed(family, cand, i);
    GemmWorkspace ws;
    ws.prepare(p.acts, p.W.wscale, pool.size());
    // A sentinel that no correct kernel leaves behind: every output element must be written.
    std::vector<float> y(p.y_ref.size(), std::numeric_limits<float>::quiet_NaN());
    const trine_gemm_args args = make_gemm_args(pw.bytes.data(), p.W.M, p.W.K, p.acts, ws, y.data(), p.W.M);
    run_gemm(pool, fn, args);
    if (std::memcmp(y.data(), p.y_ref.data(), y.size() * sizeof(float)) != 0) {
      for (std::size_t j = 0; j < y.size(); ++j) {
        if (std::memcmp(&y[j], &p.y_ref[j], sizeof(float)) != 0) {
          return fmt::format("{}: y[n={}][m={}] = {} but the reference gives {}", p.name, j / p.W.M, j % p.W.M, y[j],
                             p.y_ref[j]);
        }
      }
    }
  }
  return "";
}

}  // namespace trine::codegen
