// The base-3 byte encoding and the packed layout, checked without any kernel.
#include <gtest/gtest.h>

#include <vector>

#include "runtime/base3_config.h"
#include "templates/cpu/base3_layout.h"

namespace {

using trine::base3::decode_digit;
using trine::base3::encode;
using trine::base3::Layout;

// Every one of the 243 digit combinations survives the multiply-by-3 decode, and the linear
// identity 3 x_p - x_{p+1} = 256 digit_p that the VNNI kernels rely on holds at every step.
TEST(Base3Layout, EveryByteDecodes) {
  for (int v = 0; v < 243; ++v) {
    const int t[5] = {v / 81, v / 27 % 3, v / 9 % 3, v / 3 % 3, v % 3};
    const uint8_t b = encode(t[0], t[1], t[2], t[3], t[4]);
    unsigned x = b;
    for (int p = 0; p < 5; ++p) {
      ASSERT_EQ(t[p], decode_digit(b, p)) << "v=" << v << " plane " << p;
      const unsigned next = (x * 3) & 255u;
      ASSERT_EQ(3 * static_cast<int>(x) - static_cast<int>(next), 256 * t[p]) << "v=" << v << " plane " << p;
      // The compare decode's thresholds.
      ASSERT_EQ(t[p], (x >= 86) + (x >= 171)) << "v=" << v << " plane " << p;
      x = next;
    }
  }
  EXPECT_EQ(0, encode(0, 0, 0, 0, 0));
  EXPECT_EQ(255, encode(2, 2, 2, 2, 2));
}

// AVX2-sized chunks at r = 4: two lanes per row, chunk k = 40. Row m's byte i of chunk 0 lives
// at lane 2m + i/4 and holds k = 8p + (lane % 2) * 4 + i % 4 for planes p = 0..4.
TEST(Base3Layout, PacksSmallMatrixByHand) {
  const Layout lay{32, 4};
  ASSERT_EQ(40, lay.chunk_k());
  const int M = 4, K = 40;
  std::vector<int8_t> W(M * K);
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k) W[m * K + k] = static_cast<int8_t>((m * 7 + k * 3) % 3 - 1);
  std::vector<uint8_t> out(lay.packed_bytes(M, K));
  ASSERT_EQ(32u, out.size());
  trine::base3::pack(W.data(), M, K, lay, out.data());
  auto w = [&](int m, int k) { return W[m * K + k] + 1; };
  // Byte 0: row 0, k = 0, 8, 16, 24, 32. Byte 5: lane 1 (row 0, second half), j = 1: k = 5, 13, ...
  EXPECT_EQ(encode(w(0, 0), w(0, 8), w(0, 16), w(0, 24), w(0, 32)), out[0]);
  EXPECT_EQ(encode(w(0, 5), w(0, 13), w(0, 21), w(0, 29), w(0, 37)), out[5]);
  // Byte 31: lane 7 = row 3, second half, j = 3: k = 7, 15, 23, 31, 39.
  EXPECT_EQ(encode(w(3, 7), w(3, 15), w(3, 23), w(3, 31), w(3, 39)), out[31]);
  // A literal: row 0's (m * 7 + k * 3) % 3 - 1 is -1 for every k, digit 0 everywhere.
  EXPECT_EQ(0, out[0]);
  // Row 1: (7 + 3k) % 3 - 1 = 0, digit 1: v = 121, byte ceil(121 * 256 / 243) = 128.
  EXPECT_EQ(128, out[8]);
  for (int i = 0; i < 32; ++i) {
    const int lane = i / 4, m = lane / 2;
    for (int p = 0; p < 5; ++p)
      EXPECT_EQ(w(m, 8 * p + (lane % 2) * 4 + i % 4), decode_digit(out[i], p)) << "byte " << i << " plane " << p;
  }
}

// Rows past M and k past K decode to digit 0 (a zero factor for whatever activation is there).
TEST(Base3Layout, PaddingIsDigitZero) {
  const Layout lay{64, 16};
  const int M = 19, K = 23;
  std::vector<int8_t> W(M * K, 1);  // digit 2 everywhere real
  std::vector<uint8_t> out(lay.packed_bytes(M, K));
  ASSERT_EQ(2 * 2 * 64u, out.size());
  trine::base3::pack(W.data(), M, K, lay, out.data());
  const int64_t bb = lay.block_bytes(K);
  for (int64_t b = 0; b < lay.blocks(M); ++b)
    for (int64_t c = 0; c < lay.chunks(K); ++c)
      for (int i = 0; i < 64; ++i) {
        const int m = static_cast<int>(b) * 16 + i / 4;
        for (int p = 0; p < 5; ++p) {
          const int64_t k = c * 20 + p * 4 + i % 4;
          const int want = (m < M && k < K) ? 2 : 0;
          ASSERT_EQ(want, decode_digit(out[b * bb + c * 64 + i], p)) << "m=" << m << " k=" << k;
        }
      }
}

TEST(Base3Layout, PackBase3KeepsShapeAndScale) {
  trine::TernaryMatrix W;
  W.M = 3;
  W.K = 5;
  W.wscale = 0.75f;
  W.w.assign(15, -1);
  const trine::PackedWeights p = trine::pack_base3(W, Layout{64, 16});
  EXPECT_EQ(3, p.M);
  EXPECT_EQ(5, p.K);
  EXPECT_EQ(0.75f, p.wscale);
  EXPECT_EQ(64u, p.size_bytes());
}

}  // namespace
