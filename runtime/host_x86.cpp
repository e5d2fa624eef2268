// CPU identity, features and cache sizes of an x86 host, from cpuid (and XCR0 for what the OS
// enabled).
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "runtime/host_cpu.h"

namespace trine {

namespace {

struct Regs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// All zero when the leaf is beyond what the CPU reports, so absent leaves read as "no feature".
Regs cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  Regs r;
  if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx)) return Regs{};
  return r;
}

// Inline asm rather than _xgetbv(), which would need the whole file built with -mxsave.
uint64_t read_xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}

// XCR0 state components the OS must save on a context switch before a register file is usable.
constexpr uint64_t kXcrAvx = (1u << 1) | (1u << 2);                           // SSE, YMM upper
constexpr uint64_t kXcrAvx512 = kXcrAvx | (1u << 5) | (1u << 6) | (1u << 7);  // opmask, ZMM
// Linux also wants arch_prctl(ARCH_REQ_XCOMP_PERM) before a process touches AMX tiles; the amx_*
// features say only that the CPU and the OS support them.
constexpr uint64_t kXcrAmx = (1u << 17) | (1u << 18);  // TILECFG, TILEDATA

enum Reg { EAX, EBX, ECX, EDX };

struct FeatureBit {
  const char* name;
  uint32_t leaf, subleaf;
  Reg reg;
  int bit;
  uint64_t xcr0;  // OS support needed, 0 for none
};

// Changing this table changes every fingerprint (and so orphans stored tuning results).
constexpr FeatureBit kFeatures[] = {
    {"sse", 1, 0, EDX, 25, 0},
    {"sse2", 1, 0, EDX, 26, 0},
    {"sse3", 1, 0, ECX, 0, 0},
    {"pclmulqdq", 1, 0, ECX, 1, 0},
    {"ssse3", 1, 0, ECX, 9, 0},
    {"fma", 1, 0, ECX, 12, kXcrAvx},
    {"sse4_1", 1, 0, ECX, 19, 0},
    {"sse4_2", 1, 0, ECX, 20, 0},
    {"movbe", 1, 0, ECX, 22, 0},
    {"popcnt", 1, 0, ECX, 23, 0},
    {"aes", 1, 0, ECX, 25, 0},
    {"avx", 1, 0, ECX, 28, kXcrAvx},
    {"f16c", 1, 0, ECX, 29, kXcrAvx},
    {"bmi1", 7, 0, EBX, 3, 0},
    {"avx2", 7, 0, EBX, 5, kXcrAvx},
    {"bmi2", 7, 0, EBX, 8, 0},
    {"avx512f", 7, 0, EBX, 16, kXcrAvx512},
    {"avx512dq", 7, 0, EBX, 17, kXcrAvx512},
    {"avx512ifma", 7, 0, EBX, 21, kXcrAvx512},
    {"avx512cd", 7, 0, EBX, 28, kXcrAvx512},
    {"sha", 7, 0, EBX, 29, 0},
    {"avx512bw", 7, 0, EBX, 30, kXcrAvx512},
    {"avx512vl", 7, 0, EBX, 31, kXcrAvx512},
    {"avx512vbmi", 7, 0, ECX, 1, kXcrAvx512},
    {"avx512vbmi2", 7, 0, ECX, 6, kXcrAvx512},
    {"gfni", 7, 0, ECX, 8, 0},
    {"vaes", 7, 0, ECX, 9, kXcrAvx},
    {"vpclmulqdq", 7, 0, ECX, 10, kXcrAvx},
    {"avx512vnni", 7, 0, ECX, 11, kXcrAvx512},
    {"avx512bitalg", 7, 0, ECX, 12, kXcrAvx512},
    {"avx512vpopcntdq", 7, 0, ECX, 14, kXcrAvx512},
    {"amx_bf16", 7, 0, EDX, 22, kXcrAmx},
    {"avx512fp16", 7, 0, EDX, 23, kXcrAvx512},
    {"amx_tile", 7, 0, EDX, 24, kXcrAmx},
    {"amx_int8", 7, 0, EDX, 25, kXcrAmx},
    {"avxvnni", 7, 1, EAX, 4, kXcrAvx},
    {"avx512bf16", 7, 1, EAX, 5, kXcrAvx512},
    {"lzcnt", 0x80000001, 0, ECX, 5, 0},
};

uint32_t reg_value(const Regs& r, Reg reg) {
  switch (reg) {
    case EAX:
      return r.eax;
    case EBX:
      return r.ebx;
    case ECX:
      return r.ecx;
    case EDX:
      return r.edx;
  }
  return 0;
}

uint64_t os_enabled_xcr0() {
  constexpr uint32_t kOsxsave = 1u << 27;
  return (cpuid(1).ecx & kOsxsave) ? read_xcr0() : 0;
}

bool leaf7_subleaf1_present() { return cpuid(7, 0).eax >= 1; }

std::vector<std::string> detect_features() {
  const uint64_t xcr0 = os_enabled_xcr0();
  const bool has_7_1 = leaf7_subleaf1_present();
  std::vector<std::string> out;
  for (const auto& f : kFeatures) {
    if (f.leaf == 7 && f.subleaf == 1 && !has_7_1) continue;
    if (!(reg_value(cpuid(f.leaf, f.subleaf), f.reg) >> f.bit & 1)) continue;
    if ((xcr0 & f.xcr0) != f.xcr0) continue;
    out.emplace_back(f.name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string detect_vendor() {
  const Regs r = cpuid(0);
  char buf[13] = {};
  std::memcpy(buf, &r.ebx, 4);
  std::memcpy(buf + 4, &r.edx, 4);
  std::memcpy(buf + 8, &r.ecx, 4);
  return buf;
}

std::string detect_brand() {
  if (cpuid(0x80000000).eax < 0x80000004) return {};
  char buf[49] = {};
  for (uint32_t i = 0; i < 3; ++i) {
    const Regs r = cpuid(0x80000002 + i);
    std::memcpy(buf + 16 * i, &r, 16);
  }
  return trim(buf);
}

void detect_signature(HostInfo& h) {
  const uint32_t eax = cpuid(1).eax;
  const int base_family = (eax >> 8) & 0xf;
  const int ext_family = (eax >> 20) & 0xff;
  const int base_model = (eax >> 4) & 0xf;
  const int ext_model = (eax >> 16) & 0xf;
  h.stepping = eax & 0xf;
  h.family = base_family == 0xf ? base_family + ext_family : base_family;
  h.model = (base_family == 0x6 || base_family == 0xf) ? (ext_model << 4) + base_model : base_model;
}

}  // namespace

void detect_cpu(HostInfo& h) {
  h.vendor = detect_vendor();
  h.model_name = detect_brand();
  detect_signature(h);
  h.features = detect_features();
}

// Deterministic cache parameters: Intel leaf 4, AMD leaf 0x8000001D (same register layout).
CacheSizes caches_from_cpu(const std::string& vendor) {
  uint32_t leaf = 4;
  if (vendor == "AuthenticAMD" || vendor == "HygonGenuine") {
    if (cpuid(0x80000000).eax < 0x8000001D) return {};
    leaf = 0x8000001D;
  } else if (cpuid(0).eax < 4) {
    return {};
  }
  CacheSizes c;
  for (uint32_t sub = 0; sub < 16; ++sub) {
    const Regs r = cpuid(leaf, sub);
    const uint32_t type = r.eax & 0x1f;  // 1 data, 2 instruction, 3 unified, 0 end
    if (type == 0) break;
    const int level = (r.eax >> 5) & 0x7;
    const std::size_t ways = ((r.ebx >> 22) & 0x3ff) + 1;
    const std::size_t partitions = ((r.ebx >> 12) & 0x3ff) + 1;
    const std::size_t line = (r.ebx & 0xfff) + 1;
    const std::size_t sets = std::size_t{r.ecx} + 1;
    note_cache(c, level, type != 2, ways * partitions * line * sets);
  }
  return c;
}

}  // namespace trine

#endif
