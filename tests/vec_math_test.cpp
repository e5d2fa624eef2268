// The lm_head's four-row dots against its one-row dots: the same sums, bit for bit, on every vector
// level this host runs (AVX-512 and AVX2 here) and through the dispatched entry points.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "runtime/vec_math.h"
#include "runtime/vec_math_simd.h"

namespace {

struct Rows {
  std::vector<std::vector<uint16_t>> bf16;
  std::vector<std::vector<int8_t>> i8;
  std::vector<float> x;
};

Rows random_rows(int n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(-128, 127);
  Rows r;
  r.bf16.assign(4, std::vector<uint16_t>(static_cast<std::size_t>(n)));
  r.i8.assign(4, std::vector<int8_t>(static_cast<std::size_t>(n)));
  r.x.resize(static_cast<std::size_t>(n));
  for (float& v : r.x) v = normal(rng);
  for (int row = 0; row < 4; ++row)
    for (int k = 0; k < n; ++k) {
      const float f = normal(rng);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      r.bf16[row][k] = static_cast<uint16_t>(bits >> 16);
      r.i8[row][k] = static_cast<int8_t>(byte(rng));
    }
  return r;
}

const std::vector<int> kLengths{0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 2560, 2563};

TEST(VecMath, FourRowDotsEqualOneRowDotsOnEveryVectorLevel) {
  const std::vector<trine::DotKernels> levels = trine::all_simd_dot_kernels();
  if (levels.empty()) GTEST_SKIP() << "no vector dot kernels on this host";
  std::mt19937 rng(11);
  for (int n : kLengths) {
    const Rows r = random_rows(n, rng);
    const uint16_t* wb[4] = {r.bf16[0].data(), r.bf16[1].data(), r.bf16[2].data(), r.bf16[3].data()};
    const int8_t* wi[4] = {r.i8[0].data(), r.i8[1].data(), r.i8[2].data(), r.i8[3].data()};
    for (std::size_t level = 0; level < levels.size(); ++level) {
      const trine::DotKernels& k = levels[level];
      ASSERT_TRUE(k.bf16x4 && k.i8x4) << "level " << level;
      float ob[4], oi[4];
      k.bf16x4(wb, r.x.data(), n, ob);
      k.i8x4(wi, r.x.data(), n, oi);
      for (int row = 0; row < 4; ++row) {
        EXPECT_EQ(ob[row], k.bf16(wb[row], r.x.data(), n)) << "bf16, level " << level << ", n " << n << ", row " << row;
        EXPECT_EQ(oi[row], k.i8(wi[row], r.x.data(), n)) << "int8, level " << level << ", n " << n << ", row " << row;
      }
    }
  }
}

TEST(VecMath, DispatchedFourRowDotsEqualTheOneRowDots) {
  std::mt19937 rng(12);
  for (int n : kLengths) {
    const Rows r = random_rows(n, rng);
    const uint16_t* wb[4] = {r.bf16[0].data(), r.bf16[1].data(), r.bf16[2].data(), r.bf16[3].data()};
    const int8_t* wi[4] = {r.i8[0].data(), r.i8[1].data(), r.i8[2].data(), r.i8[3].data()};
    float ob[4], oi[4];
    trine::dot4_bf16_f32(wb, r.x.data(), n, ob);
    trine::dot4_i8_f32(wi, r.x.data(), n, oi);
    for (int row = 0; row < 4; ++row) {
      EXPECT_EQ(ob[row], trine::dot_bf16_f32(wb[row], r.x.data(), n)) << "n " << n << ", row " << row;
      EXPECT_EQ(oi[row], trine::dot_i8_f32(wi[row], r.x.data(), n)) << "n " << n << ", row " << row;
    }
  }
}

// A hand-computed case, so the four-row path is held to the right answer and not only to itself.
TEST(VecMath, FourRowDotsOfSmallIntegersAreExact) {
  std::vector<float> x(40);
  for (int k = 0; k < 40; ++k) x[k] = static_cast<float>(k % 5);  // 0 1 2 3 4 ...: sum 80
  std::vector<uint16_t> ones(40, 0x3f80), twos(40, 0x4000), zeros(40, 0), minus(40, 0xbf80);  // 1, 2, 0, -1
  const uint16_t* w[4] = {ones.data(), twos.data(), zeros.data(), minus.data()};
  float out[4];
  trine::dot4_bf16_f32(w, x.data(), 40, out);
  EXPECT_EQ(out[0], 80.0f);
  EXPECT_EQ(out[1], 160.0f);
  EXPECT_EQ(out[2], 0.0f);
  EXPECT_EQ(out[3], -80.0f);
}

}  // namespace
