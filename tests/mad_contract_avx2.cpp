// MAD kernels for AVX2 alone (pmaddubsw + pmaddwd), instantiated directly from the template. This
// file is compiled with -mavx2 only, so it exercises the AVX2 path on an AVX-512 host too.
#include "tests/kernel_contract.h"

#include "runtime/host.h"

namespace {

using trine::mad::Avx2;
using trine::mad::Kernel;

#define SKIP_WITHOUT_AVX2() \
  if (!trine::host_info().has("avx2")) GTEST_SKIP() << "host has no AVX2"

TEST(MadAvx2, Gemv) {
  SKIP_WITHOUT_AVX2();
  trine::test::expect_contract<Kernel<Avx2, 8, 2, 1, 4, 0, 0, 0>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx2, 4, 1, 1, 8, 512, 0, 1>>(101, 999, 1);
  trine::test::expect_contract<Kernel<Avx2, 1, 4, 1, 2, 0, 0, 0>>(33, 2600, 1);
  trine::test::expect_contract<Kernel<Avx2, 2, 2, 1, 15, 0, 0, 1>>(50, 6912, 1);
  trine::test::expect_contract<Kernel<Avx2, 8, 4, 1, 2, 2048, 0, 2>>(700, 2560, 1);
  trine::test::expect_contract<Kernel<Avx2, 1, 3, 1, 2, 2048, 0, 2>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx2, 4, 3, 1, 1, 512, 0, 2>>(101, 777, 1);
}

TEST(MadAvx2, Gemm) {
  SKIP_WITHOUT_AVX2();
  trine::test::expect_contract<Kernel<Avx2, 8, 1, 4, 2, 0, 0, 0>>(72, 800, 11);
  trine::test::expect_contract<Kernel<Avx2, 8, 2, 2, 1, 0, 512, 1>>(90, 1300, 6);
}

}  // namespace
