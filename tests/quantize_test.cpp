// Activation quantization against hand-computed values: ties to even, the 1e-5 floor, padding.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/quantize.h"
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
