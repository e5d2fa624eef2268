// Base-3 kernels for AVX-VNNI (256-bit vpdpbusd), instantiated directly from the template.
#include "tests/kernel_contract.h"

#include "runtime/base3_config.h"
#include "runtime/host.h"
#include "templates/cpu/base3.h"

namespace {

using trine::base3::AvxVnni;
using trine::base3::Kernel;

#define SKIP_WITHOUT_AVXVNNI() \
  if (!trine::host_info().has("avxvnni")) GTEST_SKIP() << "host has no AVX-VNNI"

TEST(Base3AvxVnni, Gemv) {
  SKIP_WITHOUT_AVXVNNI();
  trine::test::expect_contract<Kernel<AvxVnni, 8, 1, 1, 1, 0, 0, 0, 0>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<AvxVnni, 8, 2, 1, 2, 512, 0, 2, 0>>(2560, 6912, 1);
  trine::test::expect_contract<Kernel<AvxVnni, 8, 2, 1, 2, 0, 0, 1, 1>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<AvxVnni, 1, 1, 1, 4, 256, 0, 1, 0>>(45, 777, 1);
  trine::test::expect_contract<Kernel<AvxVnni, 2, 1, 1, 1, 0, 0, 0, 1>>(333, 999, 1);
  trine::test::expect_contract<Kernel<AvxVnni, 4, 2, 1, 1, 0, 0, 2, 0>>(5, 7, 1);
}

TEST(Base3AvxVnni, Gemm) {
  SKIP_WITHOUT_AVXVNNI();
  trine::test::expect_contract<Kernel<AvxVnni, 8, 2, 4, 1, 0, 1024, 0, 1>>(81, 2100, 9);
  trine::test::expect_contract<Kernel<AvxVnni, 8, 1, 4, 1, 0, 0, 0, 0>>(64, 513, 6);
}

TEST(Base3AvxVnni, LinearExactAtLargeK) {
  SKIP_WITHOUT_AVXVNNI();
  const trine::Problem p = trine::make_problem(trine::ProblemKind::saturate_pos, 16, 40000, 1, 7);
  trine::test::expect_matches_reference<Kernel<AvxVnni, 8, 1, 1, 1, 0, 0, 0, 0>>(p, 1);
}

}  // namespace
