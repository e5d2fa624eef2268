// What differs between a JIT build and an AOT build of the CLI: where kernels come from. The JIT
// build compiles tuned winners (or defaults) on demand; the AOT build has a fixed table linked in.
// Everything else in the model commands is shared.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "cli/model_setup.h"
#include "runtime/kernel_provider.h"
#include "runtime/kernel_spec.h"

namespace trine::cli {

// "jit (clang-14.0.6)" or "aot (target x86-64-v4)", for reports.
std::string kernel_backend_name();

std::unique_ptr<KernelProvider> make_kernel_provider(const ModelArgs& a);

struct ListedKernel {
  Op op = Op::gemv;
  int M = 0, K = 0, threads = 0;  // 0: a default, for any shape
  std::string family, config;
  Isa isa = Isa::avx2;
  trine_gemm_fn fn = nullptr;
};

struct KernelList {
  std::vector<ListedKernel> kernels;  // fn is null for an ISA this host cannot run
  std::shared_ptr<void> owner;        // keeps JIT-compiled code alive
};

// The kernels of an AOT tree, runnable here. In a JIT build they are compiled from aot_dir's
// manifest.json; an AOT build has exactly one tree, its own, and takes no directory.
KernelList listed_kernels(const std::string& aot_dir, const std::string& object_cache);

}  // namespace trine::cli
