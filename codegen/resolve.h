// A registry choice made runnable through the JIT.
#pragma once
#include "codegen/kernel_compiler.h"
#include "runtime/registry.h"

namespace trine::codegen {

struct Resolved {
  KernelChoice choice;
  const Family* family = nullptr;
  Candidate cand;
  trine_gemm_fn fn = nullptr;
};

// Compiles every choice in one batch per family (so they share translation units). Throws Error
// if a choice fails to compile (a stored winner always compiled when it was tuned).
std::vector<Resolved> resolve_kernels(const std::vector<KernelChoice>& choices, CompilerSet& compilers);

}  // namespace trine::codegen
