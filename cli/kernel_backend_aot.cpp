// The kernel backend of a build without the JIT: the table `trine aot` generated.
#include <algorithm>

#include <fmt/format.h>

#include "aot/aot_provider.h"
#include "cli/common.h"
#include "cli/kernel_backend.h"
#include "runtime/error.h"
#include "runtime/registry.h"

namespace trine::cli {

std::string kernel_backend_name() { return fmt::format("aot (target {})", aot::target()); }

std::unique_ptr<KernelProvider> make_kernel_provider(const ModelArgs& a) {
  return std::make_unique<aot::AotKernelProvider>(pick_isas(a.isa, host_info(), false), a.prefill());
}

KernelList listed_kernels(const std::string& aot_dir, const std::string&) {
  if (!aot_dir.empty())
    throw Error(fmt::format("--aot-dir {}: this trine was built without the JIT; it runs only its built-in kernels",
                            aot_dir));
  const std::vector<Isa> usable = usable_isas(host_info());
  KernelList out;
  for (const trine_aot_kernel& k : aot::table()) {
    const std::optional<Isa> isa = parse_isa(k.isa);
    const std::optional<Op> op = parse_op(k.op);
    if (!isa || !op) throw Error(fmt::format("the built-in kernel table has an entry for '{} {}'", k.op, k.isa));
    ListedKernel l{*op, k.M, k.K, k.threads, k.family, k.config, *isa, k.fn};
    // A kernel for an ISA (or a feature) this host lacks cannot run here; listing it runnable would crash.
    if (std::find(usable.begin(), usable.end(), *isa) == usable.end() ||
        !kernel_runs_on(k.family, *isa, k.config, host_info()))
      l.fn = nullptr;
    out.kernels.push_back(std::move(l));
  }
  return out;
}

}  // namespace trine::cli
