#include "runtime/kernel_check.h"

#include <cstring>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace trine {

namespace {

uint64_t fnv1a(uint64_t h, const void* data, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

}  // namespace

std::string run_and_compare(const Problem& p, const PackedWeights& pw, trine_gemm_fn fn, ThreadPool& pool,
                            uint64_t* digest) {
  GemmWorkspace ws;
  ws.prepare(p.acts, p.W.wscale, pool.size());
  // A sentinel that no correct kernel leaves behind: every output element must be written.
  std::vector<float> y(p.y_ref.size(), std::numeric_limits<float>::quiet_NaN());
  const trine_gemm_args args = make_gemm_args(pw.bytes.data(), p.W.M, p.W.K, p.acts, ws, y.data(), p.W.M);
  run_gemm(pool, fn, args);
  if (digest) *digest = fnv1a(*digest, y.data(), y.size() * sizeof(float));
  if (std::memcmp(y.data(), p.y_ref.data(), y.size() * sizeof(float)) == 0) return "";
  for (std::size_t j = 0; j < y.size(); ++j) {
    if (std::memcmp(&y[j], &p.y_ref[j], sizeof(float)) != 0) {
      return fmt::format("{}: y[n={}][m={}] = {} but the reference gives {}", p.name, j / p.W.M, j % p.W.M, y[j],
                         p.y_ref[j]);
    }
  }
  return "";
}

uint64_t reference_digest(const Problem& p, uint64_t digest) {
  return fnv1a(digest, p.y_ref.data(), p.y_ref.size() * sizeof(float));
}

}  // namespace trine
