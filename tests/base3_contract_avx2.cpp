// Base-3 kernels for AVX2 alone (compare decode, pmaddubsw + pmaddwd), instantiated directly from
// the template. Compiled with -mavx2 only, so it exercises the AVX2 path on an AVX-512 host too.
#include "tests/kernel_contract.h"

#include "runtime/base3_config.h"
#include "runtime/host.h"
#include "templates/cpu/base3.h"

namespace {

using trine::base3::Avx2;
using trine::base3::Kernel;

#define SKIP_WITHOUT_AVX2() \
  if (!trine::host_info().has("avx2")) GTEST_SKIP() << "host has no AVX2"

TEST(Base3Avx2, Gemv) {
  SKIP_WITHOUT_AVX2();
  trine::test::expect_contract<Kernel<Avx2, 8, 2, 1, 4, 0, 0, 0, 1>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx2, 8, 1, 1, 12, 1024, 0, 2, 1>>(2560, 6912, 1);
  trine::test::expect_contract<Kernel<Avx2, 4, 1, 1, 8, 512, 0, 1, 1>>(101, 999, 1);
  trine::test::expect_contract<Kernel<Avx2, 1, 4, 1, 2, 0, 0, 0, 1>>(33, 2600, 1);
  trine::test::expect_contract<Kernel<Avx2, 2, 2, 1, 3, 0, 0, 1, 1>>(64, 513, 1);
  trine::test::expect_contract<Kernel<Avx2, 8, 4, 1, 2, 2048, 0, 2, 1>>(77, 1000, 1);
  trine::test::expect_contract<Kernel<Avx2, 8, 1, 1, 1, 0, 0, 0, 1>>(5, 7, 1);
  trine::test::expect_contract<Kernel<Avx2, 4, 2, 1, 1, 0, 0, 2, 1>>(1, 1, 1);
}

TEST(Base3Avx2, Gemm) {
  SKIP_WITHOUT_AVX2();
  trine::test::expect_contract<Kernel<Avx2, 8, 1, 4, 2, 0, 0, 0, 1>>(72, 800, 11);
  trine::test::expect_contract<Kernel<Avx2, 8, 2, 2, 1, 0, 512, 1, 1>>(90, 1300, 6);
  trine::test::expect_contract<Kernel<Avx2, 4, 1, 3, 1, 0, 1000, 2, 1>>(333, 2999, 5);
}

}  // namespace
