// MAD kernels for AVX-VNNI (256-bit vpdpbusd), instantiated directly from the template.
#include "tests/kernel_contract.h"

#include "runtime/host.h"

namespace {

using trine::mad::AvxVnni;
using trine::mad::Kernel;

#define SKIP_WITHOUT_AVXVNNI() \
  if (!trine::host_info().has("avxvnni")) GTEST_SKIP() << "host has no AVX-VNNI"

TEST(MadAvxVnni, Gemv) {
  SKIP_WITHOUT_AVXVNNI();
  trine::test::expect_contract<Kernel<AvxVnni, 8, 2, 1, 2, 0, 0, 0>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<AvxVnni, 1, 1, 1, 4, 256, 0, 1>>(45, 777, 1);
  trine::test::expect_contract<Kernel<AvxVnni, 8, 3, 1, 2, 2048, 0, 2>>(101, 2560, 1);
}

TEST(MadAvxVnni, Gemm) {
  SKIP_WITHOUT_AVXVNNI();
  trine::test::expect_contract<Kernel<AvxVnni, 8, 2, 4, 1, 0, 1024, 0>>(81, 2100, 9);
}

}  // namespace
