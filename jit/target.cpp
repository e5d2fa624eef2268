// Host target description, compiler identity and the default cache location. Kept apart from
// jit.cpp because it needs only light LLVM headers.
#include <clang/Basic/Version.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/Support/Host.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "jit/jit.h"

namespace trine::jit {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Features an ISA level may not use. Whole families go by prefix, so features newer LLVMs add
// (avx512fp16, amx-fp16, avxvnniint8, ...) are capped without this list having to know them.
bool beyond_cap(std::string_view feature, Isa cap) {
  switch (cap) {
    case Isa::avx512vnni:
    case Isa::neondot:  // the top of its architecture; an x86 host never has it usable
      return false;
    case Isa::avxvnni:
      return starts_with(feature, "avx512") || starts_with(feature, "amx");
    case Isa::avx2:
      return starts_with(feature, "avx512") || starts_with(feature, "amx") || starts_with(feature, "avxvnni") ||
             starts_with(feature, "avxifma") || starts_with(feature, "avxneconvert");
  }
  return false;
}

}  // namespace

std::string Target::key() const {
  std::string k = triple + ";" + cpu + ";";
  for (size_t i = 0; i < features.size(); ++i) {
    if (i) k += ",";
    k += features[i];
  }
  return k;
}

Target host_target() {
  Target t;
  t.triple = llvm::sys::getProcessTriple();
  // getHostCPUName() says "generic" for CPUs LLVM 14 predates (Zen 5); clang rejects that name on
  // x86, so use the x86-64 baseline and let the explicit feature list describe the CPU. On aarch64
  // "generic" is the baseline's own name.
#if defined(__x86_64__) || defined(__i386__)
  t.cpu = "x86-64";
#else
  t.cpu = "generic";
#endif
  llvm::StringMap<bool> host;
  if (llvm::sys::getHostCPUFeatures(host)) {
    for (const auto& entry : host) {
      std::string f(1, entry.getValue() ? '+' : '-');
      f += entry.getKey().str();
      t.features.push_back(std::move(f));
    }
  }
  std::sort(t.features.begin(), t.features.end());
  return t;
}

Target host_target_capped(Isa cap) {
  Target t = host_target();
  for (std::string& f : t.features) {
    if (f.size() > 1 && f[0] == '+' && beyond_cap(std::string_view(f).substr(1), cap)) f[0] = '-';
  }
  return t;
}

std::string Jit::compiler_version() { return std::string("clang-") + CLANG_VERSION_STRING; }

std::string Jit::default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/trine/objects";
  const char* home = std::getenv("HOME");
  std::string h = home && *home ? home : "";
  if (h.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) h = pw->pw_dir;
  }
  if (h.empty()) return {};
  return h + "/.cache/trine/objects";
}

}  // namespace trine::jit
