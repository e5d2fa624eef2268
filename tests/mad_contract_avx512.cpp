// MAD kernels for AVX-512 VNNI, instantiated directly from the template.
#include "tests/kernel_contract.h"

#include "runtime/host.h"

namespace {

bool have_avx512vnni() {
  const auto& h = trine::host_info();
  return h.has("avx512f") && h.has("avx512bw") && h.has("avx512vl") && h.has("avx512vnni");
}

#define SKIP_WITHOUT_AVX512() \
  if (!have_avx512vnni()) GTEST_SKIP() << "host has no AVX-512 VNNI"

using trine::mad::Avx512Vnni;
using trine::mad::Kernel;

TEST(MadAvx512, GemvEveryRowInterleave) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 2, 1, 2, 0, 0, 0>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 8, 1, 1, 4, 512, 0, 1>>(200, 700, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 4, 4, 1, 1, 0, 0, 0>>(99, 1000, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 2, 2, 1, 2, 0, 0, 1>>(64, 513, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 1, 4, 1, 2, 1024, 0, 0>>(77, 2560, 1);
}

TEST(MadAvx512, InPlaceDecodeAndFarStreams) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 1, 1, 1, 0, 0, 0, 1>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 2, 1, 2, 512, 0, 2, 1>>(2560, 6912, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 4, 4, 1, 1, 0, 0, 2, 0>>(333, 999, 1);
  // Three streams per thread: the k,v shape, and blocks that three streams do not divide.
  trine::test::expect_contract<Kernel<Avx512Vnni, 1, 3, 1, 2, 2048, 0, 2, 1>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 4, 3, 1, 1, 512, 0, 2, 0>>(101, 777, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 1, 6, 1, 0, 1024, 0, 1>>(100, 3000, 14);
}

TEST(MadAvx512, GemmTokenTilesAndKBlocks) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 2, 4, 1, 0, 0, 0>>(160, 512, 13);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 1, 8, 2, 0, 1024, 0>>(96, 2600, 17);
  trine::test::expect_contract<Kernel<Avx512Vnni, 8, 2, 2, 1, 256, 512, 1>>(70, 1500, 5);
}

}  // namespace
