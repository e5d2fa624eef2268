#include "codegen/jit_provider.h"

#include <optional>

#include <fmt/format.h>

#include "codegen/tuner.h"
#include "jit/jit.h"
#include "runtime/error.h"

namespace trine::codegen {

namespace {

// Prefill is tuned at the token count it will most often see.
constexpr int kPrefillTokens = 128;

std::string describe(const KernelChoice& c, const std::string& note) {
  return fmt::format("{} {} {} ({})", c.family, isa_name(c.isa), c.config, note);
}

// The fastest fully timed prefill trial that reads the decode kernel's packed copy: the tuner
// times every family's configs, so one of the owner's layout may have been measured even though
// another layout won prefill.
std::optional<Candidate> fastest_on_layout(const TuningDb* db, const TuneKey& key, const Candidate& owner) {
  if (!db) return std::nullopt;
  std::optional<Candidate> best;
  double best_s = 0;
  for (const Trial& t : db->trials(key)) {
    if (t.status != "ok" || t.stats.n == 0 || (best && t.stats.median_s >= best_s)) continue;
    try {
      const Candidate c = family_by_name(t.family).candidate(owner.isa, t.config);
      if (c.layout_key != owner.layout_key) continue;
      best = c;
      best_s = t.stats.median_s;
    } catch (const Error&) {
      // A family or config this build does not know (another version stored it): not usable.
    }
  }
  return best;
}

}  // namespace

JitKernelProvider::JitKernelProvider(CompilerSet& compilers, const TuningDb* db, const HostInfo& host,
                                     std::vector<Isa> isas, PrefillLayout prefill)
    : compilers_(compilers), db_(db), host_(host), isas_(std::move(isas)), prefill_(prefill) {}

const JitKernelProvider::Choice& JitKernelProvider::choose(int M, int K, int threads) {
  const auto key = std::make_tuple(M, K, threads);
  if (auto it = chosen_.find(key); it != chosen_.end()) return it->second;
  const std::string compiler = jit::Jit::compiler_version();
  const Isa top = isas_.front();
  KernelChoice gemv = select_kernel(db_, make_key(host_, compiler, Op::gemv, {M, K, 1, ""}, threads, top), isas_);
  KernelChoice gemm = select_kernel(db_, make_key(host_, compiler, Op::gemm, {M, K, kPrefillTokens, ""}, threads, top), isas_);
  std::string gemm_note = gemm.tuned() ? "tuned" : "default";
  // Decode streams the weights and decides their layout; prefill reads a copy of its own in its
  // winner's layout, or (PrefillLayout::decode) the decode copy.
  const Family& fam = family_by_name(gemv.family);
  const Candidate owner = fam.candidate(gemv.isa, gemv.config);
  const Candidate want = family_by_name(gemm.family).candidate(gemm.isa, gemm.config);
  const bool other_layout = want.layout_key != owner.layout_key;
  const bool own_copy = other_layout && prefill_ == PrefillLayout::own;
  if (own_copy) {
    gemm_note += ", own packed copy";
  } else if (other_layout) {
    const TuneKey gemm_key = make_key(host_, compiler, Op::gemm, {M, K, kPrefillTokens, ""}, threads, owner.isa);
    if (const std::optional<Candidate> timed = fastest_on_layout(db_, gemm_key, owner)) {
      gemm = KernelChoice{timed->family, timed->isa, timed->config, std::nullopt};
      gemm_note = "fastest tuned on the decode layout";
    } else {
      const Candidate fit = fam.default_for_layout(owner, Op::gemm);
      gemm = KernelChoice{fit.family, fit.isa, fit.config, std::nullopt};
      gemm_note = "default on the decode layout";
    }
  }
  std::vector<Resolved> r = resolve_kernels({gemv, gemm}, compilers_);
  Choice c{r[0], r[1], own_copy, describe(gemv, gemv.tuned() ? "tuned" : "default"), describe(gemm, gemm_note)};
  return chosen_.emplace(key, std::move(c)).first->second;
}

PreparedMatmul JitKernelProvider::prepare(const TernaryMatrix& W, int threads) {
  const Choice& c = choose(W.M, W.K, threads);
  PreparedMatmul pm;
  pm.packed = c.gemv.family->pack(c.gemv.cand, W);
  if (c.own_prefill_copy) pm.prefill_packed = c.gemm.family->pack(c.gemm.cand, W);
  pm.gemv = c.gemv.fn;
  pm.gemm = c.gemm.fn;
  pm.gemv_desc = c.gemv_desc;
  pm.gemm_desc = c.gemm_desc;
  return pm;
}

}  // namespace trine::codegen
