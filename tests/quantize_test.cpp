// Activation quantization against hand-computed values: ties to even, the 1e-5 floor, padding.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <limits>
#include <random>

#include "runtime/quantize.h"
#include "runtime/quantize_simd.h"
#include "runtime/ternary.h"

namespace {

using trine::QuantizedActs;

TEST(Quantize, TiesRoundToEven) {
  // amax = 127 gives s = 1 exactly, so x * s is x and every .5 is a tie.
  const std::vector<float> x{0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, 126.5f, 127.0f, -127.0f};
  QuantizedActs a;
  trine::quantize_acts(x.data(), 1, static_cast<int>(x.size()), static_cast<int64_t>(x.size()), a);
  ASSERT_EQ(a.s[0], 1.0f);
  const std::vector<int> want{0, 2, 2, 0, -2, -2, 4, 126, 127, -127};
  for (size_t k = 0; k < want.size(); ++k) EXPECT_EQ(a.q[k], want[k]) << "k=" << k;
  EXPECT_EQ(a.qsum[0], 0 + 2 + 2 + 0 - 2 - 2 + 4 + 126 + 127 - 127);
}

// Long enough for the vector loop (32 per step): ties in every position of a step, both signs.
TEST(Quantize, TiesRoundToEvenInTheVectorLoop) {
  std::vector<float> x(96);
  for (int k = 0; k < 96; ++k) x[k] = (k % 2 ? -1.0f : 1.0f) * (0.5f + static_cast<float>(k));  // 0.5 ... 95.5
  x[95] = 127.0f;  // amax 127: s = 1, so x * s = x
  QuantizedActs a;
  trine::quantize_acts(x.data(), 1, 96, 96, a);
  ASSERT_EQ(a.s[0], 1.0f);
  int sum = 0;
  for (int k = 0; k < 95; ++k) {
    const int lo = k, want_mag = lo % 2 == 0 ? lo : lo + 1;  // |x| = k + 0.5: the even neighbour
    const int want = k % 2 ? -want_mag : want_mag;
    EXPECT_EQ(a.q[k], want) << "k=" << k;
    sum += want;
  }
  EXPECT_EQ(a.q[95], 127);
  EXPECT_EQ(a.qsum[0], sum + 127);
}

// The vector loops against the scalar ones: random rows of every length around the vector steps,
// scales that clamp, and NaN, infinities and -0 in the vector body and in the tail.
TEST(Quantize, VectorLoopsMatchScalarBitForBit) {
  const trine::ActQuantKernels simd = trine::simd_act_quant(), scalar = trine::scalar_act_quant();
  if (!simd.amax) GTEST_SKIP() << "no vector quantization loops on this host";
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (int n : {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 47, 64, 95, 100, 2560, 6917}) {
    for (int variant = 0; variant < 4; ++variant) {
      std::vector<float> x(static_cast<std::size_t>(n));
      for (float& v : x) v = normal(rng);
      if (variant == 1 && n > 0) {
        x[0] = -0.0f;
        x[static_cast<std::size_t>(n) / 2] = nan;
        x[static_cast<std::size_t>(n) - 1] = nan;
      }
      if (variant == 2 && n > 2) x[1] = -inf, x[static_cast<std::size_t>(n) - 2] = inf;
      ASSERT_EQ(simd.amax(x.data(), n), scalar.amax(x.data(), n)) << "n=" << n << " variant " << variant;
      const float amax = scalar.amax(x.data(), n);
      for (float s : {trine::act_scale(amax), 1.0f, 1000.0f, 0.0f}) {
        std::vector<int8_t> qv(static_cast<std::size_t>(n) + 1, 99), qs(static_cast<std::size_t>(n) + 1, 99);
        const int32_t sv = simd.round(x.data(), n, s, qv.data()), ss = scalar.round(x.data(), n, s, qs.data());
        ASSERT_EQ(sv, ss) << "n=" << n << " variant " << variant << " s=" << s;
        ASSERT_EQ(qv, qs) << "n=" << n << " variant " << variant << " s=" << s << " (byte n untouched: 99)";
      }
    }
  }
}

TEST(Quantize, ScaleIs127OverAmax) {
  const std::vector<float> x{0.25f, -2.0f, 1.0f, 0.0f};
  QuantizedActs a;
  trine::quantize_acts(x.data(), 1, 4, 4, a);
  EXPECT_EQ(a.s[0], 127.0f / 2.0f);
  // 0.25 * 63.5 = 15.875 -> 16; -2 * 63.5 = -127; 1 * 63.5 = 63.5 -> tie -> 64 (even).
  EXPECT_EQ(a.q[0], 16);
  EXPECT_EQ(a.q[1], -127);
  EXPECT_EQ(a.q[2], 64);
  EXPECT_EQ(a.q[3], 0);
}

TEST(Quantize, AllZeroRowUsesTheFloor) {
  const std::vector<float> x(300, 0.0f);
  QuantizedActs a;
  trine::quantize_acts(x.data(), 1, 300, 300, a);
  EXPECT_EQ(a.s[0], 127.0f / 1e-5f);
  for (int k = 0; k < 300; ++k) EXPECT_EQ(a.q[k], 0);
}

TEST(Quantize, RowsArePaddedWithZerosAndScaledPerToken) {
  const int K = 300;
  std::vector<float> x(2 * K);
  for (int k = 0; k < K; ++k) {
    x[k] = static_cast<float>(k % 7) - 3.0f;  // amax 3
    x[K + k] = 0.001f * static_cast<float>(k);  // amax 0.299
  }
  QuantizedActs a;
  trine::quantize_acts(x.data(), 2, K, K, a);
  ASSERT_EQ(a.stride, 512);
  EXPECT_EQ(a.s[0], 127.0f / 3.0f);
  EXPECT_EQ(a.s[1], 127.0f / (0.001f * 299.0f));
  for (int n = 0; n < 2; ++n)
    for (int k = K; k < a.stride; ++k) ASSERT_EQ(a.q[n * a.stride + k], 0) << n << "," << k;
  EXPECT_EQ(a.q[K - 1], 85);  // x = 299 % 7 - 3 = 2; 2 * (127 / 3) = 84.67 -> 85
  EXPECT_EQ(a.q[3], 0);       // x = 0
}

TEST(Reference, HandComputedGemm) {
  trine::TernaryMatrix W;
  W.M = 2;
  W.K = 3;
  W.w = {1, 0, -1, -1, 1, 1};
  W.wscale = 0.5f;
  const std::vector<float> x{127.0f, 2.0f, -1.0f};  // s = 1: q = 127, 2, -1
  QuantizedActs a;
  trine::quantize_acts(x.data(), 1, 3, 3, a);
  float y[2];
  trine::reference_gemm(W, a, y, 2);
  EXPECT_EQ(y[0], (127.0f + 1.0f) * 0.5f);
  EXPECT_EQ(y[1], (-127.0f + 2.0f - 1.0f) * 0.5f);
}

}  // namespace
