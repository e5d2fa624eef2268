#include "aot/aot_provider.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"
#include "runtime/registry.h"

namespace trine::aot {

namespace {

Isa isa_of(const trine_aot_kernel& k) {
  if (std::optional<Isa> isa = parse_isa(k.isa)) return *isa;
  throw Error(fmt::format("the AOT kernel table names ISA '{}', which this runtime does not know; regenerate it", k.isa));
}

std::string layout_of(const trine_aot_kernel& k) { return kernel_layout_key(k.family, isa_of(k), k.config); }

std::string describe(const trine_aot_kernel& k, const char* note) {
  return fmt::format("{} {} {} ({}, aot)", k.family, k.isa, k.config, note);
}

// An entry whose ISA is usable may still need more (the LUT family's vpermb kernels: VBMI).
bool runs_here(const trine_aot_kernel& k) { return kernel_runs_on(k.family, isa_of(k), k.config, host_info()); }

}  // namespace

std::span<const trine_aot_kernel> table() {
  return {trine_aot_kernels, static_cast<std::size_t>(trine_aot_kernel_count)};
}

std::string target() { return trine_aot_target; }

AotKernelProvider::AotKernelProvider(std::vector<Isa> isas, PrefillLayout prefill) : prefill_(prefill) {
  for (Isa isa : isas)
    if (fallback("gemv", isa_name(isa), nullptr)) isas_.push_back(isa_name(isa));
  if (isas_.empty()) {
    std::vector<std::string> have;
    for (const trine_aot_kernel& k : table())
      if (std::find(have.begin(), have.end(), k.isa) == have.end()) have.push_back(k.isa);
    throw Error(fmt::format("the built-in kernels (target {}, ISAs {}) need instructions this host lacks", target(),
                            fmt::join(have, ", ")));
  }
}

const trine_aot_kernel* AotKernelProvider::tuned(const char* op, int M, int K, int threads) const {
  const trine_aot_kernel* best = nullptr;
  std::size_t best_rank = 0;
  for (const trine_aot_kernel& k : table()) {
    if (std::strcmp(k.op, op) != 0 || k.M != M || k.K != K || k.threads != threads) continue;
    const auto it = std::find(isas_.begin(), isas_.end(), k.isa);
    if (it == isas_.end() || !runs_here(k)) continue;
    const auto rank = static_cast<std::size_t>(it - isas_.begin());
    // As the tuning database does: the fastest, and on a tie the more capable ISA.
    if (!best || k.median_s < best->median_s || (k.median_s == best->median_s && rank < best_rank)) {
      best = &k;
      best_rank = rank;
    }
  }
  return best;
}

const trine_aot_kernel* AotKernelProvider::fallback(const char* op, const std::string& isa,
                                                    const std::string* layout) const {
  for (const trine_aot_kernel& k : table()) {
    if (k.M != 0 || std::strcmp(k.op, op) != 0 || isa != k.isa || !runs_here(k)) continue;
    if (!layout || layout_of(k) == *layout) return &k;
  }
  return nullptr;
}

PreparedMatmul AotKernelProvider::prepare(const TernaryMatrix& W, int threads) {
  const trine_aot_kernel* gemv = tuned("gemv", W.M, W.K, threads);
  const char* gemv_note = "tuned";
  if (!gemv) {
    gemv = fallback("gemv", isas_.front(), nullptr);
    gemv_note = "default";
  }
  // Decode streams the weights and decides their layout; prefill reads a copy of its own in its
  // winner's layout, or (PrefillLayout::decode) the decode copy.
  const std::string layout = layout_of(*gemv);
  const trine_aot_kernel* gemm = tuned("gemm", W.M, W.K, threads);
  const char* gemm_note = "tuned";
  const bool own_copy = gemm && layout_of(*gemm) != layout && prefill_ == PrefillLayout::own;
  if (own_copy) {
    gemm_note = "tuned, own packed copy";
  } else if (!gemm || layout_of(*gemm) != layout) {
    gemm_note = gemm ? "default on the decode layout" : "default";
    gemm = fallback("gemm", gemv->isa, &layout);
  }
  if (!gemm)
    throw Error(fmt::format("the built-in kernel table has no prefill kernel for layout {}; regenerate it with trine aot",
                            layout));
  PreparedMatmul pm;
  pm.packed = pack_for_kernel(gemv->family, isa_of(*gemv), gemv->config, W);
  if (own_copy) pm.prefill_packed = pack_for_kernel(gemm->family, isa_of(*gemm), gemm->config, W);
  pm.gemv = gemv->fn;
  pm.gemm = gemm->fn;
  pm.gemv_desc = describe(*gemv, gemv_note);
  pm.gemm_desc = describe(*gemm, gemm_note);
  return pm;
}

}  // namespace trine::aot
