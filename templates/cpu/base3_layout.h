// Base-3 family weight layout: five trits per byte (1.6 bits per weight), decoded in registers by
// multiplying by 3 and taking the carry out of the byte.
//
// Rows are grouped into blocks of R rows, as in the MAD layout. A vector of VB bytes has VB/4
// 32-bit lanes; each row of a block owns L = VB/4/R consecutive lanes, each lane 4 consecutive k.
// Each byte holds one trit of five planes; plane p covers k in [c*20L + 4Lp, c*20L + 4L(p+1)).
// So one chunk (VB bytes) advances k by 20L per row, and the activations a plane needs are 4L
// consecutive bytes repeated R times: a broadcast, exactly as for MAD.
//
// Encoding: digits t_p = w + 1 in {0, 1, 2}, v = sum_p t_p 3^(4-p) (plane 0 most significant),
// byte = ceil(v * 256 / 243). The byte is then a fixed-point fraction just above v / 243, so
// x_0 = byte, digit_p = (3 x_p) >> 8 and x_{p+1} = 3 x_p mod 256 recover the planes in order.
// Padding (rows past M, k past K) gets digit 0, not 1: a padded position then multiplies its
// activation by zero, whatever that byte holds, so the last chunk may read activations past K.
#ifndef TRINE_BASE3_LAYOUT_H
#define TRINE_BASE3_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

namespace trine::base3 {

inline constexpr int kPlanes = 5;

struct Layout {
  int vb;  // vector bytes: 32 (AVX2, AVX-VNNI) or 64 (AVX-512)
  int r;   // rows per block, divides vb / 4
  constexpr int lanes() const { return vb / 4; }
  constexpr int lanes_per_row() const { return lanes() / r; }
  constexpr int chunk_k() const { return 4 * kPlanes * lanes_per_row(); }
  constexpr bool valid() const { return (vb == 16 || vb == 32 || vb == 64) && r >= 1 && lanes() % r == 0; }
  constexpr int64_t blocks(int M) const { return (M + r - 1) / r; }
  constexpr int64_t chunks(int K) const { return (K + chunk_k() - 1) / chunk_k(); }
  constexpr int64_t block_bytes(int K) const { return chunks(K) * vb; }
  constexpr int64_t packed_bytes(int M, int K) const { return blocks(M) * block_bytes(K); }
};

// The stored byte of five digits, most significant (plane 0) first.
constexpr uint8_t encode(int t0, int t1, int t2, int t3, int t4) {
  const int v = (((t0 * 3 + t1) * 3 + t2) * 3 + t3) * 3 + t4;
  return static_cast<uint8_t>((v * 256 + 242) / 243);
}

// Digit of plane p (0..4) of a stored byte, by the same steps the kernels take.
constexpr int decode_digit(uint8_t byte, int p) {
  unsigned x = byte;
  for (int i = 0; i < p; ++i) x = (x * 3) & 255u;
  return static_cast<int>((x * 3) >> 8);
}

// W is [M][K] with values in {-1, 0, +1}; out must hold packed_bytes(M, K) bytes. Each byte's row
// and k offsets within a chunk are tabulated once, and the byte of a digit value v is looked up
// instead of divided out: packing the 2B4T model is on the load path.
inline void pack(const int8_t* W, int M, int K, Layout lay, uint8_t* out) {
  const int L = lay.lanes_per_row(), CK = lay.chunk_k();
  const int64_t nchunks = lay.chunks(K);
  uint8_t byte_of[243];
  for (int v = 0; v < 243; ++v) byte_of[v] = static_cast<uint8_t>((v * 256 + 242) / 243);
  int row_of[64], koff[kPlanes][64];
  for (int i = 0; i < lay.vb; ++i) {
    const int lane = i / 4, j = i % 4;
    row_of[i] = lane / L;
    for (int p = 0; p < kPlanes; ++p) koff[p][i] = p * 4 * L + (lane % L) * 4 + j;
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
          const int v = (((row[koff[0][i]] + 1) * 3 + (row[koff[1][i]] + 1)) * 3 + (row[koff[2][i]] + 1)) * 9 +
                        (row[koff[3][i]] + 1) * 3 + (row[koff[4][i]] + 1);
          dst[i] = byte_of[v];
        }
        continue;
      }
      for (int i = 0; i < lay.vb; ++i) {  // a tail: out-of-range entries get digit 0
        const int64_t m = b * lay.r + row_of[i];
        int v = 0;
        for (int p = 0; p < kPlanes; ++p) {
          const int64_t k = k0 + koff[p][i];
          v = v * 3 + ((m < M && k < K) ? W[m * K + k] + 1 : 0);
        }
        dst[i] = byte_of[v];
      }
    }
  }
}

}  // namespace trine::base3

#endif
