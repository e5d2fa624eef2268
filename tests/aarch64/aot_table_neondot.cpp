// The kernels of an aarch64 tree written by `trine aot --target aarch64`, built by that tree's own
// CMakeLists.txt with the cross compiler, run under qemu-aarch64: every dispatch-table entry must
// meet the kernel contract bit for bit, exactly as the template test demands.
#include <stdio.h>

#include "runtime/aot_table.h"
#include "tests/aarch64/contract_check.h"

int main() {
  using trine_neondot_check::Config;
  printf("AOT table (target %s, generator %s) vs the scalar reference, bit for bit\n", trine_aot_target,
         trine_aot_generator_version);
  std::vector<Config> cfgs;
  for (int i = 0; i < trine_aot_kernel_count; ++i) {
    const trine_aot_kernel& k = trine_aot_kernels[i];
    int r = 0, g = 0;
    trine_neondot_check::Packer pack;
    if (strcmp(k.isa, "neondot") == 0 && strcmp(k.family, "mad") == 0 && sscanf(k.config, "r%d.", &r) == 1)
      pack = trine_neondot_check::mad_packer(trine::mad::Layout{16, r});
    else if (strcmp(k.isa, "neondot") == 0 && strcmp(k.family, "lut") == 0 && sscanf(k.config, "g%d.r%d.", &g, &r) == 2)
      pack = trine_neondot_check::lut_packer(trine::lut::Layout{16, r, g});
    if (!pack) {
      fprintf(stderr, "FAIL: table entry %d (%s %s %s) is not a neondot MAD or LUT kernel\n", i, k.family, k.isa,
              k.config);
      return 1;
    }
    char name[96];
    snprintf(name, sizeof name, "%s %s %dx%d %s", k.family, k.op, k.M, k.K, k.config);
    cfgs.push_back(Config{name, pack, k.fn});
  }
  if (cfgs.empty()) {
    fprintf(stderr, "FAIL: the table is empty\n");
    return 1;
  }
  trine_neondot_check::run_all(cfgs, "AOT table entries");
  return 0;
}
