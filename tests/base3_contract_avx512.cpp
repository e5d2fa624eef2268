// Base-3 kernels for AVX-512 VNNI, instantiated directly from the template.
#include "tests/kernel_contract.h"

#include <random>

#include "runtime/base3_config.h"
#include "runtime/host.h"
#include "templates/cpu/base3.h"

namespace {

bool have_avx512vnni() {
  const auto& h = trine::host_info();
  return h.has("avx512f") && h.has("avx512bw") && h.has("avx512vl") && h.has("avx512vnni");
}

#define SKIP_WITHOUT_AVX512() \
  if (!have_avx512vnni()) GTEST_SKIP() << "host has no AVX-512 VNNI"

using trine::base3::Avx512Vnni;
using trine::base3::Kernel;

TEST(Base3Avx512, LinearGemv2B4TShapes) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 1, 1, 1, 0, 0, 0, 0>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 2, 1, 2, 512, 0, 2, 0>>(2560, 6912, 1);
}

TEST(Base3Avx512, CompareGemv2B4TShapes) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 1, 1, 2, 1024, 0, 0, 1>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 2, 1, 1, 0, 0, 2, 1>>(2560, 6912, 1);
}

TEST(Base3Avx512, EveryRowInterleaveAndTails) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512Vnni, 8, 1, 1, 4, 512, 0, 1, 0>>(200, 700, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 4, 4, 1, 1, 0, 0, 0, 1>>(77, 1000, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 2, 2, 1, 2, 0, 0, 1, 0>>(64, 513, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 1, 4, 1, 2, 1024, 0, 0, 0>>(333, 999, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 1, 1, 1, 3, 0, 0, 2, 1>>(5, 7, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 2, 1, 1, 0, 0, 0, 0>>(1, 1, 1);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 8, 1, 1, 0, 0, 2, 1>>(1, 1, 1);
}

TEST(Base3Avx512, GemmTokenTilesAndKBlocks) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 2, 4, 1, 0, 0, 0, 0>>(160, 512, 13);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 1, 8, 2, 0, 1024, 0, 0>>(96, 2600, 17);
  trine::test::expect_contract<Kernel<Avx512Vnni, 8, 2, 2, 1, 256, 512, 1, 1>>(70, 1500, 5);
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 1, 12, 1, 0, 0, 0, 1>>(100, 3000, 14);
  trine::test::expect_contract<Kernel<Avx512Vnni, 8, 1, 6, 1, 0, 333, 2, 0>>(45, 2000, 7);
}

// Linear decode lets A and B wrap; the fold every 1024 chunks keeps 3A - B exact. K = 40000 is
// 2000 chunks at r = 16, and all +1 weights times +127 drive every sum to its largest.
TEST(Base3Avx512, LinearExactAtLargeK) {
  SKIP_WITHOUT_AVX512();
  for (auto kind : {trine::ProblemKind::saturate_pos, trine::ProblemKind::saturate_neg}) {
    const trine::Problem p = trine::make_problem(kind, 16, 40000, 2, 7);
    trine::test::expect_matches_reference<Kernel<Avx512Vnni, 16, 1, 1, 1, 0, 0, 0, 0>>(p, 1);
    trine::test::expect_matches_reference<Kernel<Avx512Vnni, 16, 1, 2, 4, 0, 0, 0, 0>>(p, 2);
    trine::test::expect_matches_reference<Kernel<Avx512Vnni, 1, 1, 1, 1, 0, 0, 0, 0>>(p, 1);
  }
  trine::test::expect_contract<Kernel<Avx512Vnni, 16, 1, 1, 2, 0, 0, 0, 0>>(16, 70000, 1);
}

// The bytes past the last activation row are unspecified: padded weights must ignore them.
TEST(Base3Avx512, GarbageInActivationSlack) {
  SKIP_WITHOUT_AVX512();
  for (int K : {1, 7, 999, 2561}) {
    trine::Problem p = trine::make_problem(trine::ProblemKind::random, 33, K, 3, 11);
    std::mt19937 rng(5);
    const std::size_t rows = static_cast<std::size_t>(p.acts.N) * p.acts.stride;
    for (std::size_t i = rows; i < p.acts.q.size(); ++i) p.acts.q.data()[i] = static_cast<int8_t>(rng());
    trine::test::expect_matches_reference<Kernel<Avx512Vnni, 1, 1, 1, 1, 0, 0, 0, 0>>(p, 1);
    trine::test::expect_matches_reference<Kernel<Avx512Vnni, 1, 2, 1, 2, 0, 0, 0, 1>>(p, 2);
    trine::test::expect_matches_reference<Kernel<Avx512Vnni, 16, 1, 2, 1, 0, 0, 0, 0>>(p, 1);
  }
}

}  // namespace
