// LUT family weight layout: g consecutive weights of a row form a group, one table index.
//   g = 3: weights k = 3j, 3j+1, 3j+2 are encoded as v = 9*w0 + 3*w1 + w2 in [-13, 13]: a 4-bit
//          index |v| and a sign bit v < 0, so 5 bits per 3 weights (1.67 bits per weight). Index 0
//          means three zero weights.
//   g = 2: weights k = 2j, 2j+1 as the 4-bit index 3*w0 + w1 + 4 in [0, 8], no sign bit: the table
//          holds the negative sums too. 2 bits per weight, and no sign to apply. Index 4 means two
//          zero weights; padding uses it.
//
// Rows are grouped into blocks of R rows. A "sub-block" is vb rows of one group: one vector of
// vb index nibbles, looked up with one pshufb per table plane. A stored unit is
//   [vb index bytes][vb sign bits of sub 0][vb sign bits of sub 1]   (g = 2: the index bytes only)
// where each index byte holds sub 0 in its low nibble and sub 1 in its high nibble:
//   R = vb:   sub h is group 2u + h of the block's vb rows (nibbles pair consecutive groups)
//   R = 2vb:  sub h is rows [h*vb, (h+1)*vb) of group u (nibbles pair two row halves, so one
//             table broadcast serves 2*vb rows)
// Within a sub-block, rows are permuted so that unpacking the looked-up low and high bytes
// (which interleaves per 128-bit lane) yields int16 vectors whose lane i is row i (first
// vector) and row vb/2 + i (second); the sign bits are ordered so each ISA turns them into a
// lane mask cheaply (AVX-512: row i is bit i; AVX2: see sign_bit()).
// Groups are padded to an even count, rows to a multiple of R, both with zero weights.
//
// The vpermb layout (perm, AVX-512 VBMI; see lut_perm.h) keeps the g = 3 codes but orders them
// so one 64-byte lookup serves 16 rows times 4 consecutive groups: byte b of a nibble vector holds
// row b/4, group b%4 of a quad of groups, and vpdpbusd then sums each row's 4 groups in its own
// int32 lane. A unit is 16 groups (4 quads) of R = 32h rows:
//   [4h nibble vectors of 64 bytes][4h sign masks of 16 bytes]
// vector (quad, half) = quad*h + half: low nibbles are rows 32*half + 0..15, high nibbles rows
// 32*half + 16..31; its 16 sign bytes are a 64-bit mask per nibble plane (bit b for byte b).
// A block ends with one int32 per row: the sum of its groups' signs (+1, or -1 where the sign bit
// is set), which removes the bias the kernel adds to make its table entries non-negative.
// Groups are padded to a multiple of 16.
#ifndef TRINE_LUT_LAYOUT_H
#define TRINE_LUT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vector>

namespace trine::lut {

// Stack bytes a kernel call may use for the tables of its token tile (lut.h, lut_perm.h); configs
// whose table segment would not fit are illegal (runtime/lut_config.cpp).
constexpr int kTableBudget = 256 * 1024;

// Index (low 4 bits) and sign (bit 4) of the weights (w0, w1, w2) of one group of three.
constexpr uint8_t encode(int w0, int w1, int w2) {
  const int v = 9 * w0 + 3 * w1 + w2;
  return static_cast<uint8_t>(v < 0 ? (-v) | 16 : v);
}

// Index of the weights (w0, w1) of one group of two.
constexpr uint8_t encode2(int w0, int w1) { return static_cast<uint8_t>(3 * w0 + w1 + 4); }

struct Layout {
  int vb;     // vector bytes: 16 (NEON), 32 (AVX2) or 64 (AVX-512)
  int r;      // rows per block: vb or 2 * vb (perm: 32, 64 or 128)
  int g = 3;  // weights per group: 3 (index and sign) or 2 (signed index)
  bool perm = false;  // the vpermb layout (g = 3, vb = 64)
  constexpr bool valid() const {
    if (perm) return vb == 64 && g == 3 && (r == 32 || r == 64 || r == 128);
    return (vb == 16 || vb == 32 || vb == 64) && (r == vb || r == 2 * vb) && (g == 2 || g == 3);
  }
  constexpr int groups_per_unit() const { return perm ? 16 : r == vb ? 2 : 1; }
  constexpr int sign_bytes() const { return g == 3 ? vb / 8 : 0; }
  constexpr int unit_bytes() const { return perm ? 10 * r : vb + 2 * sign_bytes(); }
  constexpr int64_t groups(int K) const { return (static_cast<int64_t>(K) + g - 1) / g; }
  constexpr int64_t padded_groups(int K) const {
    const int64_t to = perm ? 16 : 2;
    return (groups(K) + to - 1) / to * to;
  }
  constexpr int64_t units(int K) const { return padded_groups(K) / groups_per_unit(); }
  constexpr int64_t blocks(int M) const { return (M + r - 1) / r; }
  constexpr int64_t block_bytes(int K) const { return units(K) * unit_bytes() + (perm ? 4 * r : 0); }
  constexpr int64_t packed_bytes(int M, int K) const { return blocks(M) * block_bytes(K); }
  // Byte of the index vector holding row i of a sub-block: unpacklo/hi take bytes 0-7 / 8-15 of
  // each 128-bit lane, so lane c's low half holds rows 8c.. and its high half rows vb/2 + 8c..
  constexpr int byte_of_row(int i) const {
    const int h = i < vb / 2 ? 0 : 1, j = i - h * (vb / 2);
    return (j / 8) * 16 + 8 * h + j % 8;
  }
  // Bit of a sub-block's sign bits holding row i. AVX-512 uses them as a k-mask directly, NEON
  // tests lane i against bit i. AVX2 broadcasts the 32 bits and shifts 32-bit lane j left by j
  // (rows 0-15) or j + 8 (rows 16-31), which leaves each int16 lane's own bit in its sign position.
  constexpr int sign_bit(int i) const {
    if (vb != 32) return i;
    const int hi = i >= 16, j = (i - 16 * hi) / 2, odd = i % 2;
    return (odd ? 31 : 15) - j - 8 * hi;
  }
};

// Codes of one row's groups: c[j] for every padded group j (weights past K are zero).
inline void encode_row(const int8_t* w, int K, Layout lay, uint8_t* c) {
  const int64_t G = lay.padded_groups(K);
  for (int64_t j = 0; j < G; ++j) {
    int d[3] = {0, 0, 0};
    for (int t = 0; t < lay.g; ++t)
      if (const int64_t k = lay.g * j + t; k < K) d[t] = w[k];
    c[j] = lay.g == 3 ? encode(d[0], d[1], d[2]) : encode2(d[0], d[1]);
  }
}

// The codes of a block's rows (rows past M padded with zero weights), [lay.r][padded groups].
inline void encode_block(const int8_t* W, int M, int K, Layout lay, int64_t b, std::vector<uint8_t>& codes) {
  const int64_t G = lay.padded_groups(K);
  codes.assign(static_cast<size_t>(lay.r) * G, lay.g == 3 ? 0 : encode2(0, 0));
  for (int i = 0; i < lay.r; ++i)
    if (const int64_t m = b * lay.r + i; m < M) encode_row(W + m * K, K, lay, codes.data() + i * G);
}

// The vpermb layout (see the top of this file).
inline void pack_perm(const int8_t* W, int M, int K, Layout lay, uint8_t* out) {
  const int64_t G = lay.padded_groups(K), bb = lay.block_bytes(K);
  const int halves = lay.r / 32;
  std::vector<uint8_t> codes;
  for (int64_t b = 0; b < lay.blocks(M); ++b) {
    encode_block(W, M, K, lay, b, codes);
    uint8_t* blk = out + b * bb;
    memset(blk, 0, static_cast<size_t>(bb));
    for (int64_t u = 0; u < lay.units(K); ++u) {
      uint8_t* nib = blk + u * lay.unit_bytes();
      uint8_t* sgn = nib + 4 * halves * 64;
      for (int v = 0; v < 4 * halves; ++v) {
        const int quad = v / halves, half = v % halves;
        for (int byte = 0; byte < 64; ++byte)
          for (int plane = 0; plane < 2; ++plane) {
            const int row = 32 * half + 16 * plane + byte / 4;
            const uint8_t c = codes[static_cast<size_t>(row) * G + 16 * u + 4 * quad + byte % 4];
            nib[64 * v + byte] |= static_cast<uint8_t>((c & 15) << (4 * plane));
            if (c & 16) sgn[16 * v + 8 * plane + byte / 8] |= static_cast<uint8_t>(1 << (byte % 8));
          }
      }
    }
    int32_t* sums = reinterpret_cast<int32_t*>(blk + lay.units(K) * lay.unit_bytes());
    for (int i = 0; i < lay.r; ++i) {
      int32_t s = 0;
      for (int64_t j = 0; j < G; ++j) s += codes[static_cast<size_t>(i) * G + j] & 16 ? -1 : 1;
      memcpy(sums + i, &s, 4);
    }
  }
}

// W is [M][K] with values in {-1, 0, +1}; out must hold packed_bytes(M, K) bytes. A block's codes
// are encoded row by row first (sequential reads of W), then scattered into units.
inline void pack(const int8_t* W, int M, int K, Layout lay, uint8_t* out) {
  if (lay.perm) return pack_perm(W, M, K, lay, out);
  const int64_t G = lay.padded_groups(K);
  const int64_t units = lay.units(K), bb = lay.block_bytes(K);
  std::vector<uint8_t> codes;
  int pos[128], bit[128];
  for (int i = 0; i < lay.vb; ++i) pos[i] = lay.byte_of_row(i), bit[i] = lay.sign_bit(i);
  for (int64_t b = 0; b < lay.blocks(M); ++b) {
    encode_block(W, M, K, lay, b, codes);
    uint8_t* blk = out + b * bb;
    memset(blk, 0, static_cast<size_t>(bb));
    for (int64_t u = 0; u < units; ++u) {
      uint8_t* dst = blk + u * lay.unit_bytes();
      for (int h = 0; h < 2; ++h) {
        const int64_t g = lay.r == lay.vb ? 2 * u + h : u;
        const int roff = lay.r == lay.vb ? 0 : h * lay.vb;
        uint8_t* sgn = dst + lay.vb + h * lay.sign_bytes();
        for (int i = 0; i < lay.vb; ++i) {
          const uint8_t c = codes[static_cast<size_t>(roff + i) * G + g];
          dst[pos[i]] |= static_cast<uint8_t>((c & 15) << (4 * h));
          if (lay.g == 3 && (c & 16)) sgn[bit[i] / 8] |= static_cast<uint8_t>(1 << (bit[i] % 8));
        }
      }
    }
  }
}

}  // namespace trine::lut

#endif
