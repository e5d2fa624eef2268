// The LUT weight encoding and packed layout, checked by hand.
#include <cstring>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "templates/cpu/lut.h"
#include "templates/cpu/lut_layout.h"

namespace {

using trine::lut::encode;
using trine::lut::encode2;
constexpr auto digit = trine::lut::digit<3>;
using trine::lut::Layout;

TEST(LutLayout, EncodesAll27Triples) {
  std::set<int> seen;
  for (int w0 = -1; w0 <= 1; ++w0)
    for (int w1 = -1; w1 <= 1; ++w1)
      for (int w2 = -1; w2 <= 1; ++w2) {
        const int v = 9 * w0 + 3 * w1 + w2;
        const uint8_t c = encode(w0, w1, w2);
        const int idx = c & 15, neg = c >> 4;
        EXPECT_EQ(v < 0 ? -v : v, idx);
        EXPECT_EQ(v < 0, neg == 1);
        EXPECT_LE(idx, 13);
        // The table entry for idx, negated when the sign is set, weighs each activation by w.
        const int s = neg ? -1 : 1;
        EXPECT_EQ(w0, s * digit(idx, 0));
        EXPECT_EQ(w1, s * digit(idx, 1));
        EXPECT_EQ(w2, s * digit(idx, 2));
        seen.insert(c);
      }
  EXPECT_EQ(27u, seen.size());
  EXPECT_EQ(0, encode(0, 0, 0));  // padding: index 0, whose table entry is always 0
  EXPECT_EQ(13, encode(1, 1, 1));
  EXPECT_EQ(13 | 16, encode(-1, -1, -1));
  EXPECT_EQ(8, encode(1, 0, -1));
  EXPECT_EQ(5 | 16, encode(-1, 1, 1));
  for (int c = 0; c < 3; ++c) EXPECT_EQ(0, digit(14, c) | digit(15, c));
}

TEST(LutLayout, Sizes) {
  const Layout a{32, 32}, b{64, 128};
  EXPECT_TRUE(a.valid() && b.valid());
  EXPECT_FALSE((Layout{32, 48}.valid()));
  EXPECT_TRUE((Layout{16, 16}.valid()));  // NEON
  EXPECT_FALSE((Layout{16, 64}.valid()));
  EXPECT_FALSE((Layout{8, 8}.valid()));
  // K = 2560: 854 groups, padded to 854; 40 bytes per 2 groups of 32 rows = 5 bits per 3 weights.
  EXPECT_EQ(854, a.padded_groups(2560));
  EXPECT_EQ(427 * 40, a.block_bytes(2560));
  EXPECT_EQ(20 * 427 * 40, a.packed_bytes(640, 2560));
  EXPECT_EQ(854 * 80, b.block_bytes(2560));
  EXPECT_EQ(2, a.padded_groups(1));
  // Pairs: 1280 groups of 2, 32 index bytes per 2 groups of 32 rows, no sign bytes = 2 bits.
  const Layout p{32, 32, 2};
  EXPECT_TRUE(p.valid());
  EXPECT_FALSE((Layout{32, 32, 4}.valid()));
  EXPECT_EQ(1280, p.padded_groups(2560));
  EXPECT_EQ(32, p.unit_bytes());
  EXPECT_EQ(640 * 32, p.block_bytes(2560));
  EXPECT_EQ(2, p.padded_groups(3));
  EXPECT_EQ(1, a.units(1));
  EXPECT_EQ(2, b.units(4));
}

TEST(LutLayout, RowAndSignPermutationsAreBijections) {
  for (Layout l : {Layout{16, 16}, Layout{32, 32}, Layout{64, 64}}) {
    std::set<int> bytes, bits;
    for (int i = 0; i < l.vb; ++i) bytes.insert(l.byte_of_row(i)), bits.insert(l.sign_bit(i));
    EXPECT_EQ(static_cast<size_t>(l.vb), bytes.size());
    EXPECT_EQ(*bytes.rbegin(), l.vb - 1);
    EXPECT_EQ(static_cast<size_t>(l.vb), bits.size());
    EXPECT_EQ(*bits.rbegin(), l.vb - 1);
  }
  // unpacklo of lane 1 starts at byte 16 (row 8); unpackhi of lane 0 at byte 8 (row vb/2).
  EXPECT_EQ(16, (Layout{64, 64}.byte_of_row(8)));
  EXPECT_EQ(8, (Layout{64, 64}.byte_of_row(32)));
  EXPECT_EQ(8, (Layout{32, 32}.byte_of_row(16)));
  EXPECT_EQ(15, (Layout{32, 32}.sign_bit(0)));   // 32-bit lane 0 shifted by 0: bit 15
  EXPECT_EQ(31, (Layout{32, 32}.sign_bit(1)));
  EXPECT_EQ(7, (Layout{32, 32}.sign_bit(16)));   // shifted by 8
  EXPECT_EQ(16, (Layout{32, 32}.sign_bit(31)));
}

// Groups paired in one byte (R = vb): two rows, two groups.
TEST(LutLayout, PacksSmallMatrixGroupPaired) {
  const Layout l{32, 32};
  const std::vector<int8_t> W = {1, 0, -1, -1, 1, 1,  // row 0: groups +8, -5
                                 0, 0, 0, 0, -1, 0};  // row 1: groups 0, -3
  std::vector<uint8_t> out(l.packed_bytes(2, 6), 0xEE);
  ASSERT_EQ(40u, out.size());
  trine::lut::pack(W.data(), 2, 6, l, out.data());
  std::vector<uint8_t> want(40, 0);
  want[0] = 0x58;  // row 0 at byte 0: group 0 in the low nibble, group 1 in the high one
  want[1] = 0x30;  // row 1 at byte 1
  want[32 + 4 + 1] = 0x80 | 0x00;  // sub 1 signs: row 0 is bit 15
  want[32 + 4 + 3] = 0x80;         // row 1 is bit 31
  EXPECT_EQ(want, out);
}

// Row halves paired in one byte (R = 2vb), K tail inside a group, padded group, padded rows.
TEST(LutLayout, PacksSmallMatrixRowPaired) {
  const Layout l{64, 128};
  const int M = 65, K = 2;
  std::vector<int8_t> W(M * K, 0);
  W[0] = 0, W[1] = 1;           // row 0: (0, 1, pad 0) = +3
  W[64 * K] = -1, W[64 * K + 1] = 1;  // row 64: (-1, 1, pad 0) = -6
  std::vector<uint8_t> out(l.packed_bytes(M, K), 0xEE);
  ASSERT_EQ(160u, out.size());  // one block, 2 groups (1 padded), 80 bytes each
  trine::lut::pack(W.data(), M, K, l, out.data());
  std::vector<uint8_t> want(160, 0);
  want[0] = 0x63;       // row 0 low nibble, row 64 (row 0 of sub 1) high nibble
  want[64 + 8] = 0x01;  // sub 1 signs: row 64 is bit 0
  EXPECT_EQ(want, out);
}

// Pairs: index 3*w0 + w1 + 4 covers all nine pairs, and the table entry of each index weighs
// the two activations by exactly those weights; 9-15 are unused.
TEST(LutLayout, EncodesAll9Pairs) {
  std::set<int> seen;
  for (int w0 = -1; w0 <= 1; ++w0)
    for (int w1 = -1; w1 <= 1; ++w1) {
      const uint8_t c = encode2(w0, w1);
      EXPECT_LE(c, 8);
      EXPECT_EQ(w0, trine::lut::digit<2>(c, 0));
      EXPECT_EQ(w1, trine::lut::digit<2>(c, 1));
      EXPECT_EQ(0, trine::lut::digit<2>(c, 2));
      seen.insert(c);
    }
  EXPECT_EQ(9u, seen.size());
  EXPECT_EQ(4, encode2(0, 0));  // padding
  for (int i = 9; i < 16; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(0, trine::lut::digit<2>(i, c)) << i;
}

// Pairs, R = vb: indices only (no sign bytes); a K tail pads with index 4, as do padded rows.
TEST(LutLayout, PacksSmallMatrixOfPairs) {
  const Layout l{32, 32, 2};
  const std::vector<int8_t> W = {1, -1, 0, 1, -1,   // row 0: pairs (1,-1)=6, (0,1)=5, (-1,pad)=1, pad 4
                                 0, 0, -1, -1, 1};  // row 1: 4, 0, (1,pad)=7, pad 4
  std::vector<uint8_t> out(l.packed_bytes(2, 5), 0xEE);
  ASSERT_EQ(64u, out.size());  // 4 padded groups = 2 units of 32 bytes
  trine::lut::pack(W.data(), 2, 5, l, out.data());
  std::vector<uint8_t> want(64, 0x44);  // padded rows: index 4 in both nibbles
  want[0] = 0x56, want[1] = 0x04;        // unit 0: groups 0 (low nibble) and 1 (high)
  want[32] = 0x41, want[33] = 0x47;      // unit 1: groups 2 and 3 (padding)
  EXPECT_EQ(want, out);
}

// The vpermb layout: byte b of a nibble vector is row b/4 (low nibble) or row 16 + b/4 (high), of
// group b%4 of its quad; each plane's signs form a 64-bit mask, bit b for byte b; sign sums last.
TEST(LutLayout, PacksSmallMatrixForVpermb) {
  const Layout l{64, 32, 3, true};
  ASSERT_TRUE(l.valid());
  EXPECT_FALSE((Layout{32, 32, 3, true}.valid()));
  EXPECT_FALSE((Layout{64, 32, 2, true}.valid()));
  const int M = 18, K = 15;  // 5 groups, padded to 16: one unit
  std::vector<int8_t> W(static_cast<size_t>(M) * K, 0);
  const int8_t row0[15] = {1, 1, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1};  // 13, -9, 0, 0, 2
  std::copy(row0, row0 + 15, W.begin());
  W[17 * K + 3] = -1, W[17 * K + 4] = -1, W[17 * K + 5] = 1;  // row 17, group 1: -11
  W[1 * K + 14] = 1;                                           // row 1, group 4: 1
  ASSERT_EQ(320 + 128, l.packed_bytes(M, K));
  std::vector<uint8_t> out(l.packed_bytes(M, K), 0xEE);
  trine::lut::pack(W.data(), M, K, l, out.data());
  std::vector<uint8_t> want(448, 0);
  want[0] = 13;            // quad 0: row 0 group 0
  want[1] = 9;             // row 0 group 1 (negative)
  want[4 + 1] = 11 << 4;   // row 17 = high nibble of byte 4 * 1 + group 1 (negative)
  want[64 + 0] = 2;        // quad 1: row 0 group 4
  want[64 + 4] = 1;        // row 1 group 4
  want[256 + 0] = 1 << 1;  // quad 0 low-plane signs: byte 1
  want[256 + 8] = 1 << 5;  // quad 0 high-plane signs: byte 5
  // Sign sums: 16 groups each, one negative in rows 0 and 17.
  for (int i = 0; i < 32; ++i) {
    const int32_t s = i == 0 || i == 17 ? 14 : 16;
    memcpy(want.data() + 320 + 4 * i, &s, 4);
  }
  EXPECT_EQ(want, out);
}

}  // namespace
