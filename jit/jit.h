// C++ source -> clang (in process) -> LLVM IR -> ORC LLJIT -> function pointers, for a target
// described by a baseline CPU plus explicit features. Compiled objects are cached on disk keyed by
// the source, every header it can see, the target and the compiler, so a rerun compiles nothing.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/error.h"
#include "runtime/isa.h"

namespace trine::jit {

struct Target {
  std::string triple;                 // "x86_64-pc-linux-gnu"
  std::string cpu;                    // baseline name clang accepts, e.g. "x86-64-v3"
  std::vector<std::string> features;  // "+avx2", "-avx512f", ...: the full host list
  std::string key() const;            // stable text for cache keys
};

// The host: LLVM 14 calls unknown CPUs "generic", which clang rejects, so use x86-64 plus the
// features from llvm::sys::getHostCPUFeatures().
Target host_target();
// The host target with every feature beyond `cap` switched off (e.g. AVX2 only on an AVX-512 host).
Target host_target_capped(Isa cap);

struct SourceFile {
  std::string path;  // as included, e.g. "templates/cpu/mad.h"
  std::string text;
};

struct Counters {
  uint64_t compiles = 0;      // translation units clang compiled
  uint64_t cache_hits = 0;    // translation units loaded from the object cache
  double compile_seconds = 0; // wall time spent in clang + codegen
};

class CompileError : public Error {
 public:
  CompileError(std::string module, std::string diagnostics)
      : Error("compiling " + module + " failed:\n" + diagnostics) {}
};

using ModuleId = uint64_t;

class Jit {
 public:
  // cache_dir empty: no on-disk cache.
  Jit(Target target, std::string cache_dir);
  ~Jit();
  Jit(const Jit&) = delete;
  Jit& operator=(const Jit&) = delete;

  const Target& target() const;
  // Compiles one translation unit (C++20, -O3) in which `headers` are visible as in-memory files
  // (include them by path). Throws CompileError with clang's diagnostics.
  ModuleId add(const std::string& name, const std::string& source, const std::vector<SourceFile>& headers);
  struct Unit {
    std::string name, source;
    const std::vector<SourceFile>* headers = nullptr;
  };
  struct Added {
    ModuleId id = 0;    // 0 when the unit failed
    std::string error;  // clang's diagnostics or the link error
  };
  // add() for many units: cache misses compile on up to `threads` threads at once (the tuner's
  // cold start is mostly clang); a unit that fails costs only itself.
  std::vector<Added> add_all(const std::vector<Unit>& units, int threads);
  // Loads an object another compiler made (Halide), cached on disk under key_fields (which must
  // name that compiler's version and target): make() builds it on a miss. Counted as a compile
  // or a cache hit, like add(); the same key again returns the module already loaded. Throws
  // CompileError when make() fails or the object does not link.
  ModuleId add_object(const std::string& name, const std::vector<std::string>& key_fields,
                      const std::function<std::string()>& make);
  // Address of an extern "C" symbol of that module; throws Error if absent.
  void* lookup(ModuleId module, const std::string& symbol);
  void remove(ModuleId module);  // frees the module's code
  const Counters& counters() const;

  static std::string compiler_version();   // "clang-14.0.6"
  static std::string default_cache_dir();  // $XDG_CACHE_HOME/trine/objects or ~/.cache/trine/objects

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trine::jit
