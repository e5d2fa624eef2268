// LUT kernels for AVX-512 BW, instantiated directly from the template.
#include "templates/cpu/lut.h"
#include "templates/cpu/lut_perm.h"

#include "runtime/host.h"
#include "runtime/lut_config.h"
#include "tests/lut_contract.h"

namespace {

using trine::test::saturated;

bool have_avx512bw() {
  const auto& h = trine::host_info();
  return h.has("avx512f") && h.has("avx512bw") && h.has("avx512vl");
}

#define SKIP_WITHOUT_AVX512() \
  if (!have_avx512bw()) GTEST_SKIP() << "host has no AVX-512 BW"

bool have_vbmi_vnni() {
  const auto& h = trine::host_info();
  return have_avx512bw() && h.has("avx512vbmi") && h.has("avx512vnni");
}

#define SKIP_WITHOUT_VBMI() \
  if (!have_vbmi_vnni()) GTEST_SKIP() << "host has no AVX-512 VBMI and VNNI: the vpermb LUT kernels are not run here"

using trine::lut::Avx512;
using trine::lut::Kernel;
// Knobs: G, R, MB, KG, TS, TR, NT, PF, SPLIT.

TEST(LutAvx512, DecodeShapes) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512, 3, 64, 1, 64, 0, 0, 1, 0, 0>>(640, 2560, 1);
  trine::test::expect_contract<Kernel<Avx512, 3, 128, 1, 84, 0, 0, 1, 512, 0>>(2560, 6912, 1);
  trine::test::expect_contract<Kernel<Avx512, 3, 64, 2, 32, 0, 0, 1, 2048, 2>>(2560, 2560, 1);
}

TEST(LutAvx512, Tails) {
  SKIP_WITHOUT_AVX512();
  using K64 = Kernel<Avx512, 3, 64, 2, 16, 32, 0, 1, 0, 1>;
  using K128 = Kernel<Avx512, 3, 128, 1, 16, 0, 0, 1, 0, 0>;
  for (auto [M, K] : {std::pair{77, 1000}, {333, 999}, {64, 513}, {5, 7}, {1, 1}, {70, 1}, {70, 2}, {70, 4}}) {
    trine::test::expect_contract<K64>(M, K, 1);
    trine::test::expect_contract<K128>(M, K, 1);
  }
}

TEST(LutAvx512, EveryKnob) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512, 3, 64, 4, 48, 96, 0, 1, 0, 0>>(300, 1500, 1);   // segments
  trine::test::expect_contract<Kernel<Avx512, 3, 128, 2, 80, 160, 1, 1, 256, 1>>(700, 2000, 1);  // row chunks
  trine::test::expect_contract<Kernel<Avx512, 3, 64, 3, 64, 0, 2, 1, 1024, 2>>(900, 777, 1);
  trine::test::expect_contract<Kernel<Avx512, 3, 128, 2, 64, 0, 0, 1, 0, 2>>(1000, 3001, 2);
}

TEST(LutAvx512, Prefill) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_contract<Kernel<Avx512, 3, 64, 1, 64, 0, 0, 4, 0, 0>>(160, 512, 13);
  trine::test::expect_contract<Kernel<Avx512, 3, 64, 2, 32, 256, 2, 3, 0, 1>>(200, 2600, 17);
  trine::test::expect_contract<Kernel<Avx512, 3, 128, 1, 84, 0, 0, 8, 0, 0>>(130, 1300, 9);
  trine::test::expect_contract<Kernel<Avx512, 3, 64, 2, 64, 128, 1, 2, 0, 2>>(333, 999, 5);
}

TEST(LutAvx512, SaturationExact) {
  SKIP_WITHOUT_AVX512();
  for (int8_t w : {1, -1})
    for (int8_t qv : {127, -127, -128}) {
      const trine::Problem p = saturated(64, 6912, 2, w, qv);
      trine::test::expect_matches_reference<Kernel<Avx512, 3, 64, 1, 84, 0, 0, 1, 0, 0>>(p, 1);
      trine::test::expect_matches_reference<Kernel<Avx512, 3, 128, 2, 84, 0, 0, 2, 0, 1>>(p, 3);
      trine::test::expect_matches_reference<Kernel<Avx512, 3, 64, 1, 84, 168, 0, 1, 0, 2>>(p, 2);
    }
  for (auto kind : {trine::ProblemKind::saturate_pos, trine::ProblemKind::saturate_neg}) {
    const trine::Problem p = trine::make_problem(kind, 64, 6912, 1, 3);
    trine::test::expect_matches_reference<Kernel<Avx512, 3, 128, 1, 84, 0, 0, 1, 0, 0>>(p, 2);
  }
}

using trine::lut::PermKernel;
// Knobs: R, MB, TS, TR, NT, PF, SPLIT.

TEST(LutVpermb, DecodeShapes) {
  SKIP_WITHOUT_VBMI();
  trine::test::expect_contract<PermKernel<32, 2, 0, 0, 1, 512, 2>>(640, 2560, 1);
  trine::test::expect_contract<PermKernel<32, 3, 0, 0, 1, 2048, 2>>(640, 2560, 1);
  trine::test::expect_contract<PermKernel<64, 1, 0, 0, 1, 2048, 0>>(2560, 6912, 1);
  trine::test::expect_contract<PermKernel<128, 1, 0, 0, 1, 0, 1>>(2560, 2560, 1);
}

TEST(LutVpermb, Tails) {
  SKIP_WITHOUT_VBMI();
  using K32 = PermKernel<32, 3, 16, 0, 1, 0, 1>;
  using K128 = PermKernel<128, 1, 0, 0, 1, 512, 2>;
  for (auto [M, K] : {std::pair{77, 1000}, {333, 999}, {64, 513}, {5, 7}, {1, 1}, {70, 1}, {70, 2}, {33, 48}, {31, 49}}) {
    trine::test::expect_contract<K32>(M, K, 1);
    trine::test::expect_contract<K128>(M, K, 1);
  }
}

TEST(LutVpermb, EveryKnob) {
  SKIP_WITHOUT_VBMI();
  trine::test::expect_contract<PermKernel<32, 4, 48, 0, 1, 0, 0>>(300, 1500, 1);     // segments
  trine::test::expect_contract<PermKernel<64, 2, 160, 1, 1, 256, 1>>(700, 2000, 1);  // row chunks
  trine::test::expect_contract<PermKernel<32, 3, 0, 2, 1, 1024, 2>>(900, 777, 1);
  trine::test::expect_contract<PermKernel<64, 3, 0, 0, 1, 0, 2>>(1000, 3001, 2);
}

TEST(LutVpermb, Prefill) {
  SKIP_WITHOUT_VBMI();
  trine::test::expect_contract<PermKernel<32, 1, 0, 0, 4, 0, 0>>(160, 512, 13);
  trine::test::expect_contract<PermKernel<32, 2, 256, 2, 2, 0, 1>>(200, 2600, 17);
  trine::test::expect_contract<PermKernel<64, 1, 0, 0, 2, 0, 0>>(130, 1300, 9);
  trine::test::expect_contract<PermKernel<32, 1, 64, 1, 3, 0, 2>>(333, 999, 5);
}

// Every entry at its largest magnitude (+-381 or +-384: the bias brings it to 0 or 768, its high
// plane to 0 or 3) over the largest K, in one segment and in several.
TEST(LutVpermb, SaturationExact) {
  SKIP_WITHOUT_VBMI();
  for (int8_t w : {1, -1})
    for (int8_t qv : {127, -127, -128}) {
      const trine::Problem p = saturated(64, 6912, 2, w, qv);
      trine::test::expect_matches_reference<PermKernel<32, 1, 0, 0, 1, 0, 0>>(p, 1);
      trine::test::expect_matches_reference<PermKernel<64, 2, 0, 0, 2, 0, 1>>(p, 3);
      trine::test::expect_matches_reference<PermKernel<32, 1, 160, 0, 1, 0, 2>>(p, 2);
    }
  for (auto kind : {trine::ProblemKind::saturate_pos, trine::ProblemKind::saturate_neg}) {
    const trine::Problem p = trine::make_problem(kind, 64, 6912, 1, 3);
    trine::test::expect_matches_reference<PermKernel<128, 1, 0, 0, 1, 0, 0>>(p, 2);
  }
}

TEST(LutAvx512, PairsOfWeights) {
  SKIP_WITHOUT_AVX512();
  trine::test::expect_pairs_contract<Avx512>();
}

}  // namespace
