// LUT kernels on vpermb (AVX-512 VBMI) with vpdpbusd accumulation: the g = 3 tables of lut.h
// (16 entries per group, a low and a high byte plane), but looked up four groups at a time. One
// 64-byte table vector holds the planes of 4 consecutive groups, and vpermb's 64-entry lookup lets
// byte b of an index vector pick from group b%4's table: each 32-bit lane then holds one row's
// entries for 4 groups (the perm layout of lut_layout.h), and vpdpbusd multiplies them by the
// rows' signs (+1 or -1 bytes) and sums the 4 groups into that row's int32 lane. No unpacking, no
// int16 sums to spill, and the sign costs one blend per vector instead of one per row half.
//
// vpdpbusd takes unsigned bytes on one side, so every table entry is biased by +384 (entries are
// within +-384: three int8 activations) to lie in [0, 768], whose low plane is 0-255 and high
// plane 0-3. Row i's int32 sums are then lo + 256 * hi = sum_j s_j * (T_j + 384), and the block's
// stored sign sum S_i = sum_j s_j removes the bias: subtract 384 * S_i.
//
// Knobs (all compile-time) as in lut.h: R rows per block (32, 64 or 128: one, two or four 32-row
// halves), MB blocks sharing each table load, TS table segment (groups, a multiple of 16; 0 = the
// stack budget), TR row groups per segment, NT tokens per tile, PF prefetch distance, SPLIT.
#ifndef TRINE_LUT_PERM_H
#define TRINE_LUT_PERM_H

#include "templates/cpu/lut.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__AVX512F__) && defined(__AVX512BW__)
// The translation unit need not target VBMI (an AOT library also runs on AVX-512 hosts without
// it): only these kernels do, and the runtime calls them where the host has it.
#define TRINE_LUT_VBMI __attribute__((target("avx512vbmi,avx512vnni")))

namespace trine::lut {

template <int R, int MB_, int TS, int TR_, int NT_, int PF_, int SPLIT_>
struct PermKernel {
  using I = Avx512;
  using V = __m512i;
  static constexpr int G = 3, MB = MB_, TR = TR_, NT = NT_, PF = PF_, SPLIT = SPLIT_;
  static constexpr int BIAS = 384;
  static constexpr Layout kLayout{64, R, 3, true};
  static constexpr int H = R / 32;        // 32-row halves per block
  static constexpr int NV = 2 * H;        // index vectors per block and quad (16 rows each)
  static constexpr int UB = kLayout.unit_bytes();
  static constexpr int SEG = TS > 0 ? TS : kTableBudget / (32 * NT) / 16 * 16;
  static_assert(kLayout.valid(), "R must be 32, 64 or 128");
  static_assert(I::P == 4, "a quad of groups is one table build step");
  static_assert(MB >= 1 && NT >= 1 && TR >= 0, "tile sizes must be positive");
  static_assert(SEG >= 16 && SEG % 16 == 0 && 32 * NT * SEG <= kTableBudget, "TS: a multiple of 16 within budget");

  // Blocks b0, b0 + bs, ... (MBX of them) times tokens [t0, t0 + NTX) over the segment's groups
  // [g0, g1) (whole units), whose tables are at tab (BUILD: built here, unit by unit).
  template <int MBX, int NTX, bool BUILD>
  TRINE_LUT_VBMI static void tile(const Ctx& x, int b0, int bs, int t0, int64_t g0, int64_t g1, uint8_t* tab) {
    const trine_gemm_args* a = x.a;
    const uint8_t* w[MBX];
    TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb) w[mb] = a->w + static_cast<int64_t>(b0 + mb * bs) * x.block_bytes;
    if constexpr (PF > 0) {
      TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb)
        for (int off = 0; off < PF; off += 64) prefetch(w[mb] + g0 / 16 * UB + off);
    }
    V lo[NTX][MBX][NV], hi[NTX][MBX][NV];
    TRINE_LUT_UNROLL for (int t = 0; t < NTX; ++t)
      TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb)
        TRINE_LUT_UNROLL for (int v = 0; v < NV; ++v) lo[t][mb][v] = hi[t][mb][v] = _mm512_setzero_si512();
    for (int64_t u = g0 / 16; u < g1 / 16; ++u) {
      const uint8_t* ts = tab + (16 * u - g0) * 32;
      TRINE_LUT_UNROLL for (int quad = 0; quad < 4; ++quad) {
        if constexpr (BUILD) build_step<I, G, BIAS, NTX>(a, t0, 16 * u + 4 * quad, g0, tab, SEG * 32);
        V idx[MBX][NV], sgn[MBX][NV];
        TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb) decode(w[mb] + u * UB, quad, idx[mb], sgn[mb]);
        TRINE_LUT_UNROLL for (int t = 0; t < NTX; ++t) {
          const uint8_t* tq = ts + static_cast<int64_t>(t) * SEG * 32 + quad * 128;
          const V tl = _mm512_loadu_si512(tq), th = _mm512_loadu_si512(tq + 64);
          TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb)
            TRINE_LUT_UNROLL for (int v = 0; v < NV; ++v) {
              lo[t][mb][v] = _mm512_dpbusd_epi32(lo[t][mb][v], _mm512_permutexvar_epi8(idx[mb][v], tl), sgn[mb][v]);
              hi[t][mb][v] = _mm512_dpbusd_epi32(hi[t][mb][v], _mm512_permutexvar_epi8(idx[mb][v], th), sgn[mb][v]);
            }
        }
      }
    }
    const bool first = g0 == 0, last = g1 == x.groups;
    const int64_t sums_at = x.block_bytes - 4 * R;
    TRINE_LUT_UNROLL for (int t = 0; t < NTX; ++t) {
      const int n = t0 + t;
      float* y = a->y + n * a->y_stride;
      TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb) {
        alignas(64) int32_t acc[R];
        TRINE_LUT_UNROLL for (int v = 0; v < NV; ++v) {
          V s = _mm512_add_epi32(lo[t][mb][v], _mm512_slli_epi32(hi[t][mb][v], 8));
          if (first) {
            const V signs = _mm512_loadu_si512(w[mb] + sums_at + 64 * v);
            s = _mm512_sub_epi32(s, _mm512_mullo_epi32(signs, _mm512_set1_epi32(BIAS)));
          }
          _mm512_store_si512(acc + 16 * v, s);
        }
        const int64_t m0 = static_cast<int64_t>(b0 + mb * bs) * R;
        const int rows = a->M - m0 < R ? static_cast<int>(a->M - m0) : R;
        merge_rows<I>(acc, y + m0, rows, a->scale[n], first, last);
      }
    }
  }

  // The table indices (4-bit magnitude | 16 * group slot) and +-1 sign bytes of one block's quad:
  // vector 2h + p is plane p (low or high nibbles) of half h, 16 rows times 4 groups.
  TRINE_LUT_VBMI static TRINE_LUT_INLINE void decode(const uint8_t* unit, int quad, V (&idx)[NV], V (&sgn)[NV]) {
    const V nib = _mm512_set1_epi8(15), slot = _mm512_set1_epi32(0x30201000);
    const V one = _mm512_set1_epi8(1), minus = _mm512_set1_epi8(-1);
    constexpr int kAndOr = 0xEA;  // (a & b) | c
    TRINE_LUT_UNROLL for (int h = 0; h < H; ++h) {
      const uint8_t* p = unit + (quad * H + h) * 64;
      const uint8_t* s = unit + 4 * H * 64 + (quad * H + h) * 16;
      if constexpr (PF > 0) {
        prefetch(p + PF);
        if (quad == 0) prefetch(unit + 4 * H * 64 + h * 64 + PF);  // the unit's H lines of signs
      }
      const V x = _mm512_loadu_si512(p);
      idx[2 * h] = _mm512_ternarylogic_epi32(x, nib, slot, kAndOr);
      idx[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(x, 4), nib, slot, kAndOr);
      uint64_t bits[2];
      memcpy(bits, s, 16);
      sgn[2 * h] = _mm512_mask_blend_epi8(_cvtu64_mask64(bits[0]), one, minus);
      sgn[2 * h + 1] = _mm512_mask_blend_epi8(_cvtu64_mask64(bits[1]), one, minus);
    }
  }

  static void run(const trine_gemm_args* a, int32_t tid, int32_t nthreads) { Driver<PermKernel>::run(a, tid, nthreads); }
};

}  // namespace trine::lut

#endif  // AVX-512 BW
#endif
