// The kernel contract for the aarch64 LUT kernels (NEON tbl lookups), run under qemu-aarch64 on an
// x86 machine, the same way as mad_contract_neondot.cpp: every config of lut_neon_configs.h on the
// tuner's verification problems plus random-sign +-1 x +-127 data (the int16 sums' worst case
// without a sign to cancel is among the verification problems), at several thread splits, bit for
// bit against the scalar reference.
#include <stdio.h>

#include "templates/cpu/lut.h"
#include "tests/aarch64/contract_check.h"
#include "tests/aarch64/lut_neon_configs.h"

namespace {

using trine_neondot_check::Config;

std::vector<Config> configs() {
  std::vector<Config> out;
#define TRINE_CONFIG(G, R, MB, KG, TS, TR, NT, PF, S)                                                \
  {                                                                                                  \
    using Kern = trine::lut::Kernel<trine::lut::Neon, G, R, MB, KG, TS, TR, NT, PF, S>;              \
    char name[64];                                                                                   \
    snprintf(name, sizeof name, "lut g%d.r%d.mb%d.kg%d.ts%d.tr%d.nt%d.pf%d.s%d", G, R, MB, KG, TS, TR, NT, PF, S); \
    out.push_back(Config{name, trine_neondot_check::lut_packer(Kern::kLayout), &Kern::run});          \
  }
  TRINE_LUT_NEON_CONFIGS(TRINE_CONFIG)
#undef TRINE_CONFIG
  return out;
}

}  // namespace

int main() {
  printf("LUT contract, aarch64 NEON (tbl) kernels vs the scalar reference, bit for bit\n");
  trine_neondot_check::run_all(configs(), "NEON LUT configs");
  return 0;
}
