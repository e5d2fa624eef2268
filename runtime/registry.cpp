#include "runtime/registry.h"

#include <fmt/format.h>

#include "runtime/base3_config.h"
#include "runtime/error.h"
#include "runtime/halide_config.h"
#include "runtime/lut_config.h"

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

// Runs f on the parsed config of the named family: the one place that knows every family.
template <class F>
auto with_config(const std::string& family, Isa isa, const std::string& config, F&& f) {
  if (family == "mad") return f(MadConfig::parse(isa, config));
  if (family == "base3") return f(Base3Config::parse(isa, config));
  if (family == "lut") return f(LutConfig::parse(isa, config));
  if (family == "halide") return f(HalideConfig::parse(isa, config));
  throw Error(fmt::format("unknown kernel family '{}' (known: mad, base3, lut, halide)", family));
}

}  // namespace

std::string kernel_layout_key(const std::string& family, Isa isa, const std::string& config) {
  return with_config(family, isa, config, [](const auto& c) { return c.layout_key(); });
}

PackedWeights pack_for_kernel(const std::string& family, Isa isa, const std::string& config, const TernaryMatrix& W) {
  return with_config(family, isa, config, [&](const auto& c) { return pack_weights(W, c.layout()); });
}

int64_t kernel_packed_bytes(const std::string& family, Isa isa, const std::string& config, int M, int K) {
  return with_config(family, isa, config, [&](const auto& c) { return static_cast<int64_t>(c.layout().packed_bytes(M, K)); });
}

std::vector<std::string> kernel_extra_features(const std::string& family, Isa isa, const std::string& config) {
  return with_config(family, isa, config, [](const auto& c) -> std::vector<std::string> {
    if constexpr (requires { c.extra_features(); }) return c.extra_features();
    return {};
  });
}

bool kernel_runs_on(const std::string& family, Isa isa, const std::string& config, const HostInfo& host) {
  if (!isa_usable(isa, host)) return false;
  for (const std::string& f : kernel_extra_features(family, isa, config))
    if (!host.has(f)) return false;
  return true;
}

}  // namespace trine
