#include "runtime/isa.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "runtime/error.h"
#include "runtime/host.h"

namespace trine {

namespace {

struct IsaEntry {
  Isa isa;
  const char* name;
  bool arm;  // ISAs compare by capability only within one architecture
  std::vector<std::string> features;
};

const std::vector<IsaEntry>& isa_table() {
  static const std::vector<IsaEntry> table = {
      {Isa::avx2, "avx2", false, {"avx2", "fma"}},
      {Isa::avxvnni, "avxvnni", false, {"avx2", "fma", "avxvnni"}},
      {Isa::avx512vnni,
       "avx512vnni",
       false,
       {"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512vnni"}},
      {Isa::neondot, "neondot", true, {"asimd", "asimddp"}},
  };
  return table;
}

const IsaEntry& entry(Isa isa) { return isa_table().at(static_cast<std::size_t>(isa)); }

std::string valid_names() {
  std::string out;
  for (const auto& e : isa_table()) out += (out.empty() ? "" : ", ") + std::string(e.name);
  return out;
}

// The cap from TRINE_ISA, or nullopt when it is unset or empty.
std::optional<Isa> isa_cap_from_env() {
  const char* value = std::getenv("TRINE_ISA");
  if (value == nullptr || *value == '\0') return std::nullopt;
  if (auto isa = parse_isa(value)) return isa;
  throw Error(
      fmt::format("TRINE_ISA={} is not a known ISA; valid names: {}", value, valid_names()));
}

}  // namespace

const char* isa_name(Isa isa) { return entry(isa).name; }

std::optional<Isa> parse_isa(std::string_view name) {
  for (const auto& e : isa_table())
    if (name == e.name) return e.isa;
  return std::nullopt;
}

const std::vector<Isa>& all_isas() {
  static const std::vector<Isa> isas = {Isa::avx2, Isa::avxvnni, Isa::avx512vnni, Isa::neondot};
  return isas;
}

const std::vector<std::string>& isa_required_features(Isa isa) { return entry(isa).features; }

bool isa_usable(Isa isa, const HostInfo& host) {
  const auto& needed = isa_required_features(isa);
  return std::all_of(needed.begin(), needed.end(),
                     [&](const std::string& f) { return host.has(f); });
}

std::vector<Isa> usable_isas(const HostInfo& host) {
  // Read the cap first so a bad TRINE_ISA is reported even on a host with no usable ISA.
  const std::optional<Isa> cap = isa_cap_from_env();
  std::vector<Isa> out;
  const auto& isas = all_isas();
  for (auto it = isas.rbegin(); it != isas.rend(); ++it) {
    if (cap && (entry(*it).arm != entry(*cap).arm || *it > *cap)) continue;
    if (isa_usable(*it, host)) out.push_back(*it);
  }
  return out;
}

}  // namespace trine
