// Compiles candidates through the JIT many to a translation unit (parsing immintrin.h dominates a
// compile), keeps every compiled entry point for the life of the process, and isolates a
// candidate that fails to compile so it costs only itself.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codegen/family.h"
#include "jit/jit.h"
#include "runtime/kernel_abi.h"

namespace trine::codegen {

struct Compiled {
  trine_gemm_fn fn = nullptr;
  std::string error;  // clang's diagnostics when it failed
};

class KernelCompiler {
 public:
  using Progress = std::function<void(int done, int total)>;
  static constexpr int kBatch = 24;

  explicit KernelCompiler(jit::Jit& jit) : jit_(jit) {}
  // Compiles those of cands not compiled yet. Batches are cut from cands in order, so the same
  // list gives the same translation units and hits the object cache.
  void compile(const Family& family, const std::vector<Candidate>& cands, const Progress& progress = {});
  const Compiled& get(const Candidate& cand) const;  // after compile()

 private:
  void compile_batch(const Family& family, const std::vector<Candidate>& batch);
  jit::Jit& jit_;
  std::map<std::string, Compiled> done_;  // by symbol
};

// One JIT per ISA: a kernel for an ISA is compiled for the host capped at that ISA, so nothing in
// an AVX2 kernel (not even auto-vectorized glue) uses a wider instruction set.
class CompilerSet {
 public:
  explicit CompilerSet(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {}
  KernelCompiler& for_isa(Isa isa);
  jit::Counters counters() const;  // summed over every ISA's JIT

 private:
  std::string cache_dir_;
  std::map<Isa, std::unique_ptr<jit::Jit>> jits_;
  std::map<Isa, std::unique_ptr<KernelCompiler>> compilers_;
};

}  // namespace trine::codegen
