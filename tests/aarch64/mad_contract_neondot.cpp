// The kernel contract for the aarch64 MAD kernels (NeonDot: sdot), run under qemu-aarch64 on an
// x86 machine. A standalone program, not GoogleTest (there is no arm64 gtest to link): every
// config of neondot_configs.h runs on the problems the tuner verifies with (runtime/problems.cpp)
// plus random-sign +-1 x +-127 data, at several thread splits, and must match the scalar
// reference bit for bit. Prints one line per case; exits 1 at the first mismatch.
#include <stdio.h>

#include "templates/cpu/mad.h"
#include "tests/aarch64/contract_check.h"
#include "tests/aarch64/neondot_configs.h"

namespace {

using trine_neondot_check::Config;

std::vector<Config> configs() {
  std::vector<Config> out;
#define TRINE_CONFIG(R, MB, NT, KU, PF, KB, S)                                                  \
  {                                                                                             \
    using Kern = trine::mad::Kernel<trine::mad::NeonDot, R, MB, NT, KU, PF, KB, S, 0>;          \
    char name[64];                                                                              \
    snprintf(name, sizeof name, "mad r%d.mb%d.nt%d.ku%d.pf%d.kb%d.s%d.d0", R, MB, NT, KU, PF, KB, S); \
    out.push_back(Config{name, trine_neondot_check::mad_packer(Kern::kLayout), &Kern::run});     \
  }
  TRINE_NEONDOT_CONFIGS(TRINE_CONFIG)
#undef TRINE_CONFIG
  return out;
}

}  // namespace

int main() {
  printf("MAD contract, aarch64 NeonDot (sdot) kernels vs the scalar reference, bit for bit\n");
  trine_neondot_check::run_all(configs(), "NeonDot configs");
  return 0;
}
