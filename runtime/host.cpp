#include "runtime/host.h"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "runtime/host_cpu.h"

namespace trine {

namespace {

// The machine's online CPUs, not this process's affinity mask, so taskset doesn't change the
// fingerprint; the affinity count is only the fallback when the library can't tell.
int detect_logical_cpus() {
  if (unsigned n = std::thread::hardware_concurrency(); n > 0) return static_cast<int>(n);
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

std::optional<std::string> read_line(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return trim(line);
}

// "48K", "1024K", "32M" -> bytes; 0 when unparsable.
std::size_t parse_size(const std::string& s) {
  std::size_t pos = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(s, &pos);
  } catch (const std::exception&) {
    return 0;
  }
  const std::string unit = s.substr(pos);
  if (unit.empty()) return value;
  switch (unit[0]) {
    case 'K':
    case 'k':
      return value << 10;
    case 'M':
    case 'm':
      return value << 20;
    case 'G':
    case 'g':
      return value << 30;
    default:
      return 0;
  }
}

// Files the caches into l1d/l2/l3; instruction caches are not ours to care about.

std::optional<CacheSizes> caches_from_sysfs() {
  CacheSizes c;
  bool any = false;
  for (int i = 0; i < 16; ++i) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu0/cache/index{}/", i);
    auto level = read_line(dir + "level");
    auto type = read_line(dir + "type");
    auto size = read_line(dir + "size");
    if (!level || !type || !size) continue;
    any = true;
    note_cache(c, std::atoi(level->c_str()), *type == "Data" || *type == "Unified",
               parse_size(*size));
  }
  if (!any) return std::nullopt;
  return c;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

// Only the fields, in a fixed order and format, so the hash is the same in every process.
std::string canonical_text(const HostInfo& h) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", h.vendor, h.model_name, h.family, h.model,
                     h.stepping, join(h.features, ","), h.logical_cpus, h.cache.l1d, h.cache.l2,
                     h.cache.l3);
}

}  // namespace

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

void note_cache(CacheSizes& c, int level, bool data_or_unified, std::size_t size) {
  if (!data_or_unified || size == 0) return;
  if (level == 1) c.l1d = size;
  if (level == 2) c.l2 = size;
  if (level == 3) c.l3 = size;
}

bool HostInfo::has(std::string_view feature) const {
  return std::binary_search(features.begin(), features.end(), feature,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

nlohmann::json HostInfo::to_json() const {
  return {
      {"vendor", vendor},
      {"model_name", model_name},
      {"family", family},
      {"model", model},
      {"stepping", stepping},
      {"features", features},
      {"logical_cpus", logical_cpus},
      {"cache", {{"l1d", cache.l1d}, {"l2", cache.l2}, {"l3", cache.l3}}},
      {"fingerprint", fingerprint},
  };
}

HostInfo detect_host() {
  HostInfo h;
  detect_cpu(h);
  h.logical_cpus = detect_logical_cpus();
  auto sysfs = caches_from_sysfs();
  h.cache = sysfs ? *sysfs : caches_from_cpu(h.vendor);
  h.fingerprint = fmt::format("{:016x}", fnv1a64(canonical_text(h)));
  return h;
}

const HostInfo& host_info() {
  static const HostInfo info = detect_host();
  return info;
}

}  // namespace trine
