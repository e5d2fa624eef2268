// MAD family weight layout: 2-bit codes (w + 1) packed so one vector load decodes, with a shift
// and a mask per plane, into four vectors of u8 codes ready for u8 x s8 multiply-add.
//
// Rows are grouped into blocks of R rows. A vector of VB bytes has VB/4 32-bit lanes; each row of
// a block owns L = VB/4/R consecutive lanes, each lane 4 consecutive k. One stored chunk (VB bytes)
// holds four planes at bit shifts 0, 2, 4, 6; plane p covers k in [c*16L + 4Lp, c*16L + 4L(p+1)).
// So one chunk advances k by 16L per row, and the activations a plane needs are 4L consecutive
// bytes repeated R times: a broadcast (4 bytes when R = VB/4) instead of a shuffle.
// Rows are padded to a multiple of R and k to a multiple of 16L with code 1 (w = 0).
#ifndef TRINE_MAD_LAYOUT_H
#define TRINE_MAD_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

namespace trine::mad {

struct Layout {
  int vb;  // vector bytes: 16 (NEON), 32 (AVX2, AVX-VNNI) or 64 (AVX-512)
  int r;   // rows per block, divides vb / 4
  constexpr int lanes() const { return vb / 4; }
  constexpr int lanes_per_row() const { return lanes() / r; }
  constexpr int chunk_k() const { return 16 * lanes_per_row(); }
  constexpr bool valid() const { return (vb == 16 || vb == 32 || vb == 64) && r >= 1 && lanes() % r == 0; }
  constexpr int64_t blocks(int M) const { return (M + r - 1) / r; }
  constexpr int64_t chunks(int K) const { return (K + chunk_k() - 1) / chunk_k(); }
  constexpr int64_t block_bytes(int K) const { return chunks(K) * vb; }
  constexpr int64_t packed_bytes(int M, int K) const { return blocks(M) * block_bytes(K); }
};

// W is [M][K] with values in {-1, 0, +1}; out must hold packed_bytes(M, K) bytes. Each byte's
// row and k offsets within a chunk are tabulated once: packing the 2B4T model is on the load path.
inline void pack(const int8_t* W, int M, int K, Layout lay, uint8_t* out) {
  const int L = lay.lanes_per_row(), CK = lay.chunk_k();
  const int64_t nchunks = lay.chunks(K);
  int row_of[64], koff[4][64];
  for (int i = 0; i < lay.vb; ++i) {
    const int lane = i / 4, j = i % 4;
    row_of[i] = lane / L;
    for (int p = 0; p < 4; ++p) koff[p][i] = p * 4 * L + (lane % L) * 4 + j;
  }
  for (int64_t b = 0; b < lay.blocks(M); ++b) {
    uint8_t* blk = out + b * lay.block_bytes(K);
    const bool full_rows = (b + 1) * lay.r <= M;
    for (int64_t c = 0; c < nchunks; ++c) {
      const int64_t k0 = c * CK;
      uint8_t* dst = blk + c * lay.vb;
      if (full_rows && k0 + CK <= K) {
        for (int i = 0; i < lay.vb; ++i) {
          const int8_t* row = W + (b * lay.r + row_of[i]) * static_cast<int64_t>(K) + k0;
          dst[i] = static_cast<uint8_t>((row[koff[0][i]] + 1) | (row[koff[1][i]] + 1) << 2 | (row[koff[2][i]] + 1) << 4 |
                                        (row[koff[3][i]] + 1) << 6);
        }
        continue;
      }
      for (int i = 0; i < lay.vb; ++i) {  // a tail: out-of-range entries get code 1 (w = 0)
        const int64_t m = b * lay.r + row_of[i];
        uint8_t byte = 0;
        for (int p = 0; p < 4; ++p) {
          const int64_t k = k0 + koff[p][i];
          const int code = (m < M && k < K) ? W[m * K + k] + 1 : 1;
          byte |= static_cast<uint8_t>(code << (2 * p));
        }
        dst[i] = byte;
      }
    }
  }
}

}  // namespace trine::mad

#endif
