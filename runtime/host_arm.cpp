// CPU identity, features and cache sizes of an aarch64 host: features from the auxiliary vector
// (what the kernel says this CPU and OS support, named as /proc/cpuinfo names them), identity
// from the main ID register as Linux exposes it.
#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "runtime/host_cpu.h"

namespace trine {

namespace {

struct HwcapBit {
  const char* name;
  int word;  // 0: AT_HWCAP, 1: AT_HWCAP2
  unsigned long mask;
};

// Changing this table changes every fingerprint (and so orphans stored tuning results).
constexpr HwcapBit kFeatures[] = {
    {"fp", 0, HWCAP_FP},           {"asimd", 0, HWCAP_ASIMD},       {"aes", 0, HWCAP_AES},
    {"crc32", 0, HWCAP_CRC32},     {"atomics", 0, HWCAP_ATOMICS},   {"fphp", 0, HWCAP_FPHP},
    {"asimdhp", 0, HWCAP_ASIMDHP}, {"asimdrdm", 0, HWCAP_ASIMDRDM}, {"asimddp", 0, HWCAP_ASIMDDP},
    {"sve", 0, HWCAP_SVE},         {"asimdfhm", 0, HWCAP_ASIMDFHM}, {"sve2", 1, HWCAP2_SVE2},
    {"i8mm", 1, HWCAP2_I8MM},      {"bf16", 1, HWCAP2_BF16},
};

// Implementer codes of MIDR_EL1 bits 31:24 that name the designer.
std::string implementer_name(unsigned code) {
  switch (code) {
    case 0x41: return "ARM";
    case 0x42: return "Broadcom";
    case 0x43: return "Cavium";
    case 0x46: return "Fujitsu";
    case 0x48: return "HiSilicon";
    case 0x4e: return "NVIDIA";
    case 0x51: return "Qualcomm";
    case 0x61: return "Apple";
    case 0x6d: return "Microsoft";
    case 0xc0: return "Ampere";
    default: return fmt::format("implementer {:#x}", code);
  }
}

// MIDR_EL1 of cpu0 as Linux exports it; 0 where it does not (an emulator, an old kernel).
uint64_t read_midr() {
  std::ifstream in("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1");
  std::string text;
  if (!in || !std::getline(in, text)) return 0;
  try {
    return std::stoull(trim(text), nullptr, 16);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

void detect_cpu(HostInfo& h) {
  const unsigned long words[2] = {getauxval(AT_HWCAP), getauxval(AT_HWCAP2)};
  for (const HwcapBit& f : kFeatures)
    if (words[f.word] & f.mask) h.features.emplace_back(f.name);
  std::sort(h.features.begin(), h.features.end());
  const uint64_t midr = read_midr();
  if (midr == 0) {
    h.vendor = "aarch64";
    h.model_name = "unknown CPU (MIDR_EL1 not exported)";
    return;
  }
  h.vendor = implementer_name(static_cast<unsigned>(midr >> 24 & 0xff));
  h.family = static_cast<int>(midr >> 24 & 0xff);
  h.model = static_cast<int>(midr >> 4 & 0xfff);
  h.stepping = static_cast<int>((midr >> 20 & 0xf) << 4 | (midr & 0xf));  // variant, revision
  h.model_name = fmt::format("{} part {:#x} r{}p{}", h.vendor, h.model, midr >> 20 & 0xf, midr & 0xf);
}

// The cache ID registers are not readable from user space on every kernel: sysfs or nothing.
CacheSizes caches_from_cpu(const std::string&) { return {}; }

}  // namespace trine

#endif
