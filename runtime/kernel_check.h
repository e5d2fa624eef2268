// One kernel run on one verification problem and compared with the scalar reference bit for bit.
// The tuner's verifier and `trine kernels check` (JIT and AOT builds alike) share it, so "exact"
// means the same thing wherever a kernel comes from.
#pragma once
#include <cstdint>
#include <string>

#include "runtime/packed_weights.h"
#include "runtime/problems.h"
#include "runtime/thread_pool.h"

namespace trine {

// Empty when fn's output equals p.y_ref bit for bit, else the first mismatch, named. When digest
// is given, the output bytes are folded into it (FNV-1a), so two builds can show they computed
// the very same bits.
std::string run_and_compare(const Problem& p, const PackedWeights& pw, trine_gemm_fn fn, ThreadPool& pool,
                            uint64_t* digest = nullptr);

constexpr uint64_t kDigestSeed = 0xcbf29ce484222325ull;

// The digest a correct kernel's outputs give: p.y_ref folded in as run_and_compare folds y. Where a
// kernel cannot run (another architecture's), this is the digest its own host must print.
uint64_t reference_digest(const Problem& p, uint64_t digest);

}  // namespace trine
