// What this machine is: CPU identity, ISA features, cores, caches, and a stable fingerprint that
// keys tuning results (a winner measured on one machine is not assumed to win on another).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace trine {

struct CacheSizes {
  std::size_t l1d = 0, l2 = 0, l3 = 0;  // bytes, per core for L1/L2, per shared instance for L3
};

struct HostInfo {
  std::string vendor;      // "AuthenticAMD", "GenuineIntel"; on aarch64 the designer ("ARM", "Apple")
  std::string model_name;  // cpuid brand string, trimmed; on aarch64 designer, part and revision
  int family = 0, model = 0, stepping = 0;
  // Lower-case feature names, sorted: sse4_2 avx avx2 fma f16c bmi2 avx512f avx512bw avx512vl avx512dq
  // avx512vnni avx512bf16 avx512vbmi avx512ifma avxvnni ... (only those the OS also enabled via XCR0).
  std::vector<std::string> features;
  int logical_cpus = 0;
  CacheSizes cache;
  std::string fingerprint;  // 16 hex digits over identity, features, cpus and caches

  bool has(std::string_view feature) const;
  nlohmann::json to_json() const;
};

HostInfo detect_host();
const HostInfo& host_info();  // detected once per process

}  // namespace trine
