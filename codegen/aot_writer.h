// `trine aot`: turns tuned winners (or family defaults) into a self-contained source tree (the
// kernel instantiations, the template headers they need, a dispatch table and a CMakeLists.txt)
// that builds a static library with any C++ compiler for the target, no LLVM needed.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "codegen/family.h"
#include "runtime/host.h"
#include "runtime/tuning_db.h"

namespace trine::codegen {

struct AotTarget {
  std::string name;       // "host", "x86-64-v3", "x86-64-v4", "aarch64"
  std::string arch;       // "x86_64" or "aarch64": the compiler the tree needs
  std::vector<Isa> isas;  // kernels are generated for these, most capable first
};

const std::vector<std::string>& aot_target_names();
// Throws Error naming --target for an unknown name, or "host" with no usable ISA.
AotTarget aot_target(const std::string& name, const HostInfo& host);
// Compiler flags for the translation unit of one ISA's kernels: the baseline the target implies
// plus that ISA's extension, so a fat x86 library runs on every host of the target.
std::string aot_isa_flags(Isa isa);

struct AotEntry {
  Op op = Op::gemv;
  int M = 0, K = 0, threads = 0;  // all 0: the default for its ISA (and layout, for gemm)
  Candidate cand;
  double median_s = 0;  // the tuned time, to pick the fastest ISA at run time as the JIT does
  bool tuned() const { return M != 0; }
};

struct AotPlan {
  AotTarget target;
  std::vector<AotEntry> entries;
  int tuned = 0;
  std::vector<std::string> notes;  // what was skipped or defaulted, for the user
};

// Winners whose ISA the target has and whose generator is this one; where two hosts tuned the
// same key, host_fingerprint's (this host) is preferred, then the newest. Every ISA also gets
// its defaults, and every decode kernel's layout a prefill default, so the table can always
// answer.
AotPlan plan_aot(const AotTarget& target, const std::vector<Winner>& winners, const std::string& host_fingerprint);

// Writes the tree to dir. An existing non-empty dir is refused unless force, and then replaced
// only once the new tree is complete.
void write_aot(const AotPlan& plan, const std::string& dir, bool force);

// What every AOT tree writer shares: fill() writes the tree into a fresh directory, which then
// replaces dir (refused when dir exists and is not empty, unless force), so a failure leaves
// dir as it was.
void write_tree_replacing(const std::string& dir, bool force, const std::function<void(const std::string& root)>& fill);
void write_tree_file(const std::string& path, const std::string& text);  // creates parent directories

}  // namespace trine::codegen
