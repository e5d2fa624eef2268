// The instruction sets kernels are written for, and which of them this host can run.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trine {

struct HostInfo;

// Ordered from least to most capable within an architecture. A host that runs one need not run
// all before it: Zen 4 has AVX-512 VNNI but not AVX-VNNI. neondot is aarch64 (NEON with the
// Armv8.2 dot product); an x86 host never reports its feature, so x86 tuning never considers it.
enum class Isa { avx2, avxvnni, avx512vnni, neondot };

const char* isa_name(Isa isa);
std::optional<Isa> parse_isa(std::string_view name);
const std::vector<Isa>& all_isas();

// CPU features (host.h names) an ISA needs, e.g. avx512vnni -> avx512f, avx512bw, avx512vnni, ...;
// Arm features go by their Linux /proc/cpuinfo names (asimddp is the dot product).
const std::vector<std::string>& isa_required_features(Isa isa);
bool isa_usable(Isa isa, const HostInfo& host);
// Usable ISAs, most capable first. The environment variable TRINE_ISA=<name> caps the list, so the
// AVX2 path can be exercised on a newer CPU; a cap from another architecture leaves none.
std::vector<Isa> usable_isas(const HostInfo& host);

}  // namespace trine
