// LUT kernels for AVX2 alone (pshufb + psignw), instantiated directly from the template. This file
// is compiled with -mavx2 only, so it exercises the AVX2 path on an AVX-512 host too.
#include "templates/cpu/lut.h"

#include "runtime/host.h"
#include "runtime/lut_config.h"
#include "tests/lut_contract.h"

namespace {

using trine::test::saturated;

using trine::lut::Avx2;
using trine::lut::Kernel;
// Knobs: G, R, MB, KG, TS, TR, NT, PF, SPLIT.

#define SKIP_WITHOUT_AVX2() \
  if (!trine::host_info().has("avx2")) GTEST_SKIP() << "host has no AVX2"

TEST(LutAvx2, DecodeShapes) {
  SKIP_WITHOUT_AVX2();
  trine::test::expect_contract<Kernel<Avx2, 3, 32, 2, 84, 0, 0, 1, 0, 0>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx2, 3, 64, 1, 84, 0, 0, 1, 512, 2>>(2560, 6912, 1);
  trine::test::expect_contract<Kernel<Avx2, 3, 64, 2, 64, 0, 0, 1, 0, 1>>(2560, 2560, 1);
}

TEST(LutAvx2, Tails) {
  SKIP_WITHOUT_AVX2();
  using K32 = Kernel<Avx2, 3, 32, 1, 16, 32, 0, 1, 0, 0>;
  using K64 = Kernel<Avx2, 3, 64, 2, 8, 0, 0, 1, 0, 2>;
  for (auto [M, K] : {std::pair{77, 1000}, {333, 999}, {64, 513}, {5, 7}, {1, 1}, {40, 1}, {40, 2}, {40, 4}}) {
    trine::test::expect_contract<K32>(M, K, 1);
    trine::test::expect_contract<K64>(M, K, 1);
  }
}

TEST(LutAvx2, EveryKnob) {
  SKIP_WITHOUT_AVX2();
  trine::test::expect_contract<Kernel<Avx2, 3, 32, 4, 48, 96, 0, 1, 0, 0>>(300, 1500, 1);
  trine::test::expect_contract<Kernel<Avx2, 3, 64, 2, 80, 160, 1, 1, 256, 1>>(700, 2000, 1);
  trine::test::expect_contract<Kernel<Avx2, 3, 32, 3, 32, 0, 2, 1, 1024, 2>>(500, 777, 1);
}

TEST(LutAvx2, Prefill) {
  SKIP_WITHOUT_AVX2();
  trine::test::expect_contract<Kernel<Avx2, 3, 32, 1, 64, 0, 0, 4, 0, 0>>(160, 512, 13);
  trine::test::expect_contract<Kernel<Avx2, 3, 32, 2, 32, 256, 2, 2, 0, 1>>(200, 2600, 17);
  trine::test::expect_contract<Kernel<Avx2, 3, 64, 1, 84, 0, 0, 2, 0, 2>>(130, 1300, 9);
}

TEST(LutAvx2, SaturationExact) {
  SKIP_WITHOUT_AVX2();
  for (int8_t w : {1, -1})
    for (int8_t qv : {127, -127, -128}) {
      const trine::Problem p = saturated(64, 6912, 2, w, qv);
      trine::test::expect_matches_reference<Kernel<Avx2, 3, 32, 1, 84, 0, 0, 1, 0, 0>>(p, 1);
      trine::test::expect_matches_reference<Kernel<Avx2, 3, 64, 2, 84, 0, 0, 2, 0, 1>>(p, 3);
      trine::test::expect_matches_reference<Kernel<Avx2, 3, 32, 1, 84, 168, 0, 1, 0, 2>>(p, 2);
    }
  for (auto kind : {trine::ProblemKind::saturate_pos, trine::ProblemKind::saturate_neg}) {
    const trine::Problem p = trine::make_problem(kind, 64, 6912, 1, 3);
    trine::test::expect_matches_reference<Kernel<Avx2, 3, 64, 1, 84, 0, 0, 1, 0, 0>>(p, 2);
  }
}

TEST(LutAvx2, PairsOfWeights) {
  SKIP_WITHOUT_AVX2();
  trine::test::expect_pairs_contract<Avx2>();
}

}  // namespace
