// Picks the kernel for an op and shape: the fastest tuned winner this host can run, else the
// family default for the most capable ISA. Turning the choice into code is the provider's job
// (the JIT in codegen/, or an AOT table), so this compiles without LLVM.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "runtime/host.h"
#include "runtime/isa.h"
#include "runtime/kernel_spec.h"
#include "runtime/packed_weights.h"
#include "runtime/tuning_db.h"

namespace trine {

struct KernelChoice {
  std::string family;  // "mad", "base3" or "lut"
  Isa isa = Isa::avx2;
  std::string config;
  std::optional<Winner> winner;  // set when tuned
  bool tuned() const { return winner.has_value(); }
};

// key.isa is ignored: every ISA in `isas` (most capable first) is considered.
KernelChoice select_kernel(const TuningDb* db, const TuneKey& key, const std::vector<Isa>& isas);

// The packed-weight layout a kernel reads: kernels with equal keys share one packed copy, so a
// prefill kernel can read the copy its decode kernel streams. Throws Error for an unknown family
// or a malformed config.
std::string kernel_layout_key(const std::string& family, Isa isa, const std::string& config);
PackedWeights pack_for_kernel(const std::string& family, Isa isa, const std::string& config, const TernaryMatrix& W);
// Host features (host.h names) the kernel needs beyond its ISA's: the LUT family's vpermb kernels
// need avx512vbmi. A kernel whose ISA is usable may still not run on a host lacking these.
std::vector<std::string> kernel_extra_features(const std::string& family, Isa isa, const std::string& config);
bool kernel_runs_on(const std::string& family, Isa isa, const std::string& config, const HostInfo& host);
// Bytes of packed weights the kernel reads for an M x K matrix.
int64_t kernel_packed_bytes(const std::string& family, Isa isa, const std::string& config, int M, int K);

}  // namespace trine
