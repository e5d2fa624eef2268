// The architecture-specific half of host detection (host_x86.cpp: cpuid; host_arm.cpp: the
// auxiliary vector and /proc/cpuinfo), used by host.cpp, which does the portable rest.
#pragma once
#include <cstddef>
#include <string>

#include "runtime/host.h"

namespace trine {

// Fills vendor, model_name, family/model/stepping and the sorted feature names.
void detect_cpu(HostInfo& h);
// Cache sizes from the CPU itself, where sysfs has none; zero where it cannot tell.
CacheSizes caches_from_cpu(const std::string& vendor);

// Shared helpers (host.cpp).
std::string trim(std::string s);
void note_cache(CacheSizes& c, int level, bool data_or_unified, std::size_t size);

}  // namespace trine
