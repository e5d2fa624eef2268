#include "runtime/registry.h"

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine {

KernelChoice select_kernel(const TuningDb* db, const TuneKey& key, const std::vector<Isa>& isas) {
  if (isas.empty()) throw Error("no usable ISA on this host for the ternary kernels (AVX2 is the minimum)");
  if (db) {
    std::vector<std::string> names;
    for (Isa i : isas) names.push_back(isa_name(i));
    if (std::optional<Winner> w = db->best_winner(key, names)) {
      return KernelChoice{w->family, *parse_isa(w->key.isa), w->config, w};
    }
  }
  const Isa isa = isas.front();
  return KernelChoice{"mad", isa, mad_default(isa, op_for_tokens(key.N)).str(), std::nullopt};
}

namespace {

void require_known_family(const std::string& family) {
  if (family != "mad") throw Error(fmt::format("unknown kernel family '{}'", family));
}

}  // namespace

std::string kernel_layout_key(const std::string& family, Isa isa, const std::string& config) {
  require_known_family(family);
  return MadConfig::parse(isa, config).layout_key();
}

PackedWeights pack_for_kernel(const std::string& family, Isa isa, const std::string& config, const TernaryMatrix& W) {
  require_known_family(family);
  return pack_mad(W, MadConfig::parse(isa, config).layout());
}

}  // namespace trine
