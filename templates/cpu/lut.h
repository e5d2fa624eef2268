// LUT family kernels: per call and token, every worker builds for each group j of G activations
// the 16-entry table T_j[i] = the dot product of the activations with the G weights that index i
// stands for (exact: |T| <= 128 * G), stored as a low-byte and a high-byte plane of 16 bytes. A
// weight group is one 4-bit index, plus a sign bit for G = 3, whose index covers the magnitudes
// only (lut_layout.h): pshufb (NEON: tbl) looks up vb rows at once, unpacking the two planes gives
// exact int16, the sign (G = 3) is applied per row, and int16 sums spill to int32 before they
// could overflow. One template over the tuning knobs; the ISA is a traits class, defined only
// where the translation unit's target supports it.
//
// Knobs (all compile-time):
//   G      weights per group: 3 (1.67 bits per weight, signs applied per row) or 2 (2 bits per
//          weight, signed tables and no signs)
//   R      rows per block: vb (index nibbles pair two groups) or 2vb (they pair two row halves,
//          so each table broadcast serves twice the rows); see lut_layout.h
//   MB     row blocks processed together: each table broadcast used by MB blocks
//   KG     groups per K tile: the int16 accumulation depth (G = 3: <= 84, as 84 * 384 < 32768;
//          G = 2: <= 124, as 124 * 256 < 32768)
//   TS     table segment in groups (0 = as large as the stack budget allows): tables for one
//          segment are built, then consumed; smaller segments stay in L1, at the price of int32
//          partial sums kept in y between segments
//   TR     row groups that consume one table segment before the next segment (0 = all of the
//          thread's rows: each table built once per call). Smaller chunks keep their weights in
//          cache across token tiles in prefill, at the price of rebuilding the tables per chunk
//   NT     tokens processed together (prefill): indices and signs decoded once for NT tables
//   PF     software prefetch distance in bytes ahead of each weight stream (0 = none)
//   SPLIT  0 = contiguous row ranges per thread, 1 = row groups dealt round robin,
//          2 = contiguous ranges walked as MB far-apart streams at once
#ifndef TRINE_LUT_H
#define TRINE_LUT_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif
#include <stdint.h>
#include <string.h>

#include "runtime/kernel_abi.h"
#include "templates/cpu/lut_layout.h"
#include "templates/cpu/out_prefetch.h"

#if defined(__clang__)
#define TRINE_LUT_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define TRINE_LUT_UNROLL _Pragma("GCC unroll 16")
#else
#define TRINE_LUT_UNROLL
#endif
#define TRINE_LUT_INLINE inline __attribute__((always_inline))

namespace trine::lut {

// The weight in position c of the group that table index i stands for: for G = 3 the
// balanced-ternary digit c (0: weight of 9, 1: of 3, 2: of 1) of i, with 14 and 15 unused; for
// G = 2 digit c of i - 4 (c = 2 is always 0), with 9-15 unused.
template <int G>
constexpr int digit(int i, int c) {
  if (i > (G == 3 ? 13 : 8)) return 0;
  if (G == 2 && c == 2) return 0;
  int d[3] = {0, 0, 0}, v = G == 3 ? i : i - 4;
  for (int p = G - 1; p >= 0; --p) {
    const int r = (v % 3 + 3) % 3;  // v < 0 for pairs
    d[p] = r == 2 ? -1 : r;
    v = (v - d[p]) / 3;
  }
  return d[c];
}

// Byte-shuffle controls for the table build, for a vector of VB bytes. The build works on one
// group per 128-bit lane, on the int16 slots s = [a0 a1 a2 0 -a0 -a1 -a2 0] of its activations
// (a2 = 0 for groups of two).
template <int VB, int G>
struct BuildControls {
  alignas(64) int8_t spread[VB];   // a0 a1 a2 of lane L's group into the high bytes of slots 0-2, 4-6
  alignas(64) int8_t pick[2][3][VB];  // half h (entries 8h..8h+7), digit c: the slot holding d*a_c
  alignas(64) int8_t planes[VB];   // int16 entries to [8 low bytes | 8 high bytes]
  constexpr BuildControls() : spread(), pick(), planes() {
    for (int b = 0; b < VB; ++b) {
      const int lane = b / 16, o = b % 16, e = o / 2;
      int src = -128;
      if (o % 2 == 1 && e % 4 < G) src = G * lane + e % 4;
      spread[b] = static_cast<int8_t>(src);
      for (int h = 0; h < 2; ++h)
        for (int c = 0; c < 3; ++c) {
          const int d = digit<G>(8 * h + e, c);
          const int slot = d > 0 ? c : d < 0 ? 4 + c : 3;
          pick[h][c][b] = static_cast<int8_t>(2 * slot + o % 2);
        }
      planes[b] = static_cast<int8_t>(o < 8 ? 2 * o : 2 * (o - 8) + 1);
    }
  }
};

#if defined(__x86_64__) || defined(__i386__)
#if defined(__AVX2__)
struct Avx2 {
  using V = __m256i;
  static constexpr int VB = 32;
  static constexpr int P = VB / 16;  // groups per table build step (one per 128-bit lane)
  static constexpr const char* name = "avx2";
  template <int G>
  static constexpr BuildControls<VB, G> kCtl{};
  static TRINE_LUT_INLINE V zero() { return _mm256_setzero_si256(); }
  static TRINE_LUT_INLINE V load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static TRINE_LUT_INLINE V table(const uint8_t* p) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static TRINE_LUT_INLINE V nib_lo(V x) { return _mm256_and_si256(x, _mm256_set1_epi8(15)); }
  static TRINE_LUT_INLINE V nib_hi(V x) { return _mm256_and_si256(_mm256_srli_epi16(x, 4), _mm256_set1_epi8(15)); }
  static TRINE_LUT_INLINE V lookup(V t, V idx) { return _mm256_shuffle_epi8(t, idx); }
  static TRINE_LUT_INLINE V unpack(V lo, V hi, int half) {
    return half ? _mm256_unpackhi_epi8(lo, hi) : _mm256_unpacklo_epi8(lo, hi);
  }
  // No k-masks: each int16 lane gets its row's sign bit in bit 15 by a variable shift of the
  // broadcast bits (see Layout::sign_bit), made nonzero so psignw never zeroes a value.
  struct Signs {
    V half[2];
  };
  static TRINE_LUT_INLINE Signs signs(const uint8_t* p) {
    int32_t bits;
    memcpy(&bits, p, 4);
    const V b = _mm256_set1_epi32(bits), one = _mm256_set1_epi16(1);
    return Signs{{_mm256_or_si256(_mm256_sllv_epi32(b, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), one),
                  _mm256_or_si256(_mm256_sllv_epi32(b, _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15)), one)}};
  }
  static TRINE_LUT_INLINE V add_signed(V acc, V v, const Signs& s, int half) {
    return _mm256_add_epi16(acc, _mm256_sign_epi16(v, s.half[half]));
  }
  static TRINE_LUT_INLINE V add16(V acc, V v) { return _mm256_add_epi16(acc, v); }
  // dst[0, VB/2) += the int16 lanes of v, sign extended.
  static TRINE_LUT_INLINE void widen_add(int32_t* dst, V v) {
    __m256i* d = reinterpret_cast<__m256i*>(dst);
    const V lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(v));
    const V hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(v, 1));
    _mm256_storeu_si256(d, _mm256_add_epi32(_mm256_loadu_si256(d), lo));
    _mm256_storeu_si256(d + 1, _mm256_add_epi32(_mm256_loadu_si256(d + 1), hi));
  }
  // Tables of P groups whose activations start at q, BIAS added to every entry:
  // out = [P low planes][P high planes].
  template <int G, int BIAS>
  static TRINE_LUT_INLINE void build(const int8_t* q, uint8_t* out) {
    constexpr const BuildControls<VB, G>& c = kCtl<G>;
    const V x = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
    const V u = _mm256_srai_epi16(_mm256_shuffle_epi8(x, load(c.spread)), 8);
    const V s = _mm256_sign_epi16(u, _mm256_setr_epi16(1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1));
    V half[2];
    for (int h = 0; h < 2; ++h) {
      V t = _mm256_add_epi16(_mm256_shuffle_epi8(s, load(c.pick[h][0])), _mm256_shuffle_epi8(s, load(c.pick[h][1])));
      if constexpr (G == 3) t = _mm256_add_epi16(t, _mm256_shuffle_epi8(s, load(c.pick[h][2])));
      if constexpr (BIAS != 0) t = _mm256_add_epi16(t, _mm256_set1_epi16(BIAS));
      half[h] = _mm256_shuffle_epi8(t, load(c.planes));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_unpacklo_epi64(half[0], half[1]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + VB), _mm256_unpackhi_epi64(half[0], half[1]));
  }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
struct Avx512 {
  using V = __m512i;
  static constexpr int VB = 64;
  static constexpr int P = VB / 16;
  static constexpr const char* name = "avx512";
  template <int G>
  static constexpr BuildControls<VB, G> kCtl{};
  static TRINE_LUT_INLINE V zero() { return _mm512_setzero_si512(); }
  static TRINE_LUT_INLINE V load(const void* p) { return _mm512_loadu_si512(p); }
  static TRINE_LUT_INLINE V table(const uint8_t* p) {
    return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static TRINE_LUT_INLINE V nib_lo(V x) { return _mm512_and_si512(x, _mm512_set1_epi8(15)); }
  static TRINE_LUT_INLINE V nib_hi(V x) { return _mm512_and_si512(_mm512_srli_epi16(x, 4), _mm512_set1_epi8(15)); }
  static TRINE_LUT_INLINE V lookup(V t, V idx) { return _mm512_shuffle_epi8(t, idx); }
  static TRINE_LUT_INLINE V unpack(V lo, V hi, int half) {
    return half ? _mm512_unpackhi_epi8(lo, hi) : _mm512_unpacklo_epi8(lo, hi);
  }
  // Row i's sign is bit i: 32 bits per int16 vector, a k-mask as loaded.
  struct Signs {
    __mmask32 half[2];
  };
  static TRINE_LUT_INLINE Signs signs(const uint8_t* p) {
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + 4, 4);
    return Signs{{_cvtu32_mask32(lo), _cvtu32_mask32(hi)}};
  }
  static TRINE_LUT_INLINE V add_signed(V acc, V v, const Signs& s, int half) {
    return _mm512_add_epi16(acc, _mm512_mask_sub_epi16(v, s.half[half], _mm512_setzero_si512(), v));
  }
  static TRINE_LUT_INLINE V add16(V acc, V v) { return _mm512_add_epi16(acc, v); }
  static TRINE_LUT_INLINE void widen_add(int32_t* dst, V v) {
    const V lo = _mm512_cvtepi16_epi32(_mm512_castsi512_si256(v));
    const V hi = _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(v, 1));
    _mm512_storeu_si512(dst, _mm512_add_epi32(_mm512_loadu_si512(dst), lo));
    _mm512_storeu_si512(dst + 16, _mm512_add_epi32(_mm512_loadu_si512(dst + 16), hi));
  }
  template <int G, int BIAS>
  static TRINE_LUT_INLINE void build(const int8_t* q, uint8_t* out) {
    constexpr const BuildControls<VB, G>& c = kCtl<G>;
    const V x = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
    const V u = _mm512_srai_epi16(_mm512_shuffle_epi8(x, load(c.spread)), 8);
    const V s = _mm512_mask_sub_epi16(u, 0xF0F0F0F0u, _mm512_setzero_si512(), u);
    V half[2];
    for (int h = 0; h < 2; ++h) {
      V t = _mm512_add_epi16(_mm512_shuffle_epi8(s, load(c.pick[h][0])), _mm512_shuffle_epi8(s, load(c.pick[h][1])));
      if constexpr (G == 3) t = _mm512_add_epi16(t, _mm512_shuffle_epi8(s, load(c.pick[h][2])));
      if constexpr (BIAS != 0) t = _mm512_add_epi16(t, _mm512_set1_epi16(BIAS));
      half[h] = _mm512_shuffle_epi8(t, load(c.planes));
    }
    _mm512_storeu_si512(out, _mm512_unpacklo_epi64(half[0], half[1]));
    _mm512_storeu_si512(out + VB, _mm512_unpackhi_epi64(half[0], half[1]));
  }
};
#endif
#endif  // x86

#if defined(__aarch64__) && defined(__ARM_NEON)
// digit<G>(e, c) of table entries 0-7 (half 0) and 8-15 (half 1), as int16 lanes.
template <int G>
struct Digits {
  alignas(16) int16_t d[3][2][8];
  constexpr Digits() : d() {
    for (int c = 0; c < 3; ++c)
      for (int e = 0; e < 16; ++e) d[c][e / 8][e % 8] = static_cast<int16_t>(digit<G>(e, c));
  }
};

// tbl looks up 16-byte tables like pshufb, on one 128-bit vector: VB = 16, and a build step makes
// the tables of two groups, so that a unit of two groups (R = vb) always finds both in one step.
struct Neon {
  using V = uint8x16_t;
  static constexpr int VB = 16;
  static constexpr int P = 2;
  static constexpr const char* name = "neon";
  template <int G>
  static constexpr Digits<G> kDigits{};
  static TRINE_LUT_INLINE int16x8_t s16(V v) { return vreinterpretq_s16_u8(v); }
  static TRINE_LUT_INLINE V u8(int16x8_t v) { return vreinterpretq_u8_s16(v); }
  static TRINE_LUT_INLINE V zero() { return vdupq_n_u8(0); }
  static TRINE_LUT_INLINE V load(const void* p) { return vld1q_u8(static_cast<const uint8_t*>(p)); }
  static TRINE_LUT_INLINE V table(const uint8_t* p) { return vld1q_u8(p); }
  static TRINE_LUT_INLINE V nib_lo(V x) { return vandq_u8(x, vdupq_n_u8(15)); }
  static TRINE_LUT_INLINE V nib_hi(V x) { return vshrq_n_u8(x, 4); }
  static TRINE_LUT_INLINE V lookup(V t, V idx) { return vqtbl1q_u8(t, idx); }
  // zip interleaves the low (or high) eight bytes of each plane: int16 rows 0-7 (or 8-15).
  static TRINE_LUT_INLINE V unpack(V lo, V hi, int half) { return half ? vzip2q_u8(lo, hi) : vzip1q_u8(lo, hi); }
  // Row i's sign is bit i of 16 (Layout::sign_bit); each half is an all-ones lane mask.
  struct Signs {
    int16x8_t half[2];
  };
  static TRINE_LUT_INLINE Signs signs(const uint8_t* p) {
    uint16_t bits;
    memcpy(&bits, p, 2);
    const uint16x8_t b = vdupq_n_u16(bits);
    alignas(16) static constexpr uint16_t kBit[2][8] = {{1, 2, 4, 8, 16, 32, 64, 128},
                                                        {256, 512, 1024, 2048, 4096, 8192, 16384, 32768}};
    return Signs{{vreinterpretq_s16_u16(vtstq_u16(b, vld1q_u16(kBit[0]))),
                  vreinterpretq_s16_u16(vtstq_u16(b, vld1q_u16(kBit[1])))}};
  }
  // No psign: (v ^ m) - m negates exactly the lanes whose mask m is all ones.
  static TRINE_LUT_INLINE V add_signed(V acc, V v, const Signs& s, int half) {
    const int16x8_t m = s.half[half];
    return u8(vaddq_s16(s16(acc), vsubq_s16(veorq_s16(s16(v), m), m)));
  }
  static TRINE_LUT_INLINE V add16(V acc, V v) { return u8(vaddq_s16(s16(acc), s16(v))); }
  static TRINE_LUT_INLINE void widen_add(int32_t* dst, V v) {
    const int16x8_t x = s16(v);
    vst1q_s32(dst, vaddw_s16(vld1q_s32(dst), vget_low_s16(x)));
    vst1q_s32(dst + 4, vaddw_high_s16(vld1q_s32(dst + 4), x));
  }
  // T[e] = sum over c of digit(e, c) * a_c as int16, then split into its low and high byte planes.
  template <int G, int BIAS>
  static TRINE_LUT_INLINE void build(const int8_t* q, uint8_t* out) {
    constexpr const Digits<G>& dg = kDigits<G>;
    for (int j = 0; j < P; ++j) {
      int16x8_t t[2];
      for (int h = 0; h < 2; ++h) {
        t[h] = vmulq_n_s16(vld1q_s16(dg.d[0][h]), q[G * j]);
        t[h] = vmlaq_n_s16(t[h], vld1q_s16(dg.d[1][h]), q[G * j + 1]);
        if constexpr (G == 3) t[h] = vmlaq_n_s16(t[h], vld1q_s16(dg.d[2][h]), q[G * j + 2]);
        if constexpr (BIAS != 0) t[h] = vaddq_s16(t[h], vdupq_n_s16(BIAS));
      }
      vst1q_u8(out + 16 * j, vuzp1q_u8(u8(t[0]), u8(t[1])));
      vst1q_u8(out + 16 * (P + j), vuzp2q_u8(u8(t[0]), u8(t[1])));
    }
  }
};
#endif

// Read-only, keep in all cache levels.
TRINE_LUT_INLINE void prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }

// A thread's share of the row blocks: work items of MB blocks b0, b0 + bs, ... (n = MB), or
// leftover blocks (n < MB, consecutive, processed one at a time).
struct Work {
  int b0, bs, n;
};

template <int MB, int SPLIT>
struct Rows {
  int nb, tid, nth, count;
  int g0 = 0, B0 = 0, part = 0;
  Rows(int nblocks, int t, int n) : nb(nblocks), tid(t), nth(n) {
    const int ngroups = (nb + MB - 1) / MB;
    if constexpr (SPLIT == 0) {
      g0 = static_cast<int>(static_cast<int64_t>(ngroups) * tid / nth);
      count = static_cast<int>(static_cast<int64_t>(ngroups) * (tid + 1) / nth) - g0;
    } else if constexpr (SPLIT == 1) {
      count = tid < ngroups ? (ngroups - tid + nth - 1) / nth : 0;
    } else {
      B0 = static_cast<int>(static_cast<int64_t>(nb) * tid / nth);
      const int B1 = static_cast<int>(static_cast<int64_t>(nb) * (tid + 1) / nth);
      part = (B1 - B0) / MB;
      count = part + (B1 - B0 - part * MB);
    }
  }
  Work at(int i) const {
    if constexpr (SPLIT == 2) {
      if (i < part) return Work{B0 + i, part, MB};
      return Work{B0 + part * MB + (i - part), 1, 1};
    }
    const int g = SPLIT == 0 ? g0 + i : tid + i * nth;
    const int b0 = g * MB;
    return Work{b0, 1, nb - b0 < MB ? nb - b0 : MB};
  }
};

// The tables of one build step (groups [g, g + P)) for tokens [t0, t0 + NTX): what a tile that
// builds as it goes (see Driver::chunk) makes just before it looks them up.
template <class I, int G, int BIAS, int NTX>
TRINE_LUT_INLINE void build_step(const trine_gemm_args* a, int t0, int64_t g, int64_t g0, uint8_t* tab, int64_t tab_stride) {
  TRINE_LUT_UNROLL for (int t = 0; t < NTX; ++t)
    I::template build<G, BIAS>(a->q + (t0 + t) * a->q_stride + G * g, tab + t * tab_stride + (g - g0) * 32);
}

// A thread's own rows: int32 partial sums live in y between segments (as bits). A template on the
// ISA so each target's translation unit keeps its own copy.
template <class I>
TRINE_LUT_INLINE void merge_rows(const int32_t* acc, float* y, int rows, float scale, bool first, bool last) {
  for (int i = 0; i < rows; ++i) {
    int32_t v = acc[i];
    if (!first) {
      int32_t prev;
      memcpy(&prev, y + i, 4);
      v += prev;
    }
    if (last) {
      y[i] = static_cast<float>(v) * scale;
    } else {
      memcpy(y + i, &v, 4);
    }
  }
}

struct Ctx {
  const trine_gemm_args* a;
  int64_t block_bytes, groups;  // groups: padded
};

// The loops every LUT kernel K shares: rows split among threads, row chunks (TR), token tiles
// (NT) and table segments (SEG groups); K::tile<MBX, NTX> does the arithmetic of one work item.
template <class K>
struct Driver {
  template <int NTX, bool BUILD>
  static void work(const Ctx& x, const Work& wk, int t0, int64_t g0, int64_t g1, uint8_t* tab) {
    if (wk.n == K::MB) {
      K::template tile<K::MB, NTX, BUILD>(x, wk.b0, wk.bs, t0, g0, g1, tab);
    } else {
      K::template tile<1, NTX, BUILD>(x, wk.b0, 1, t0, g0, g1, tab);
      for (int i = 1; i < wk.n; ++i) K::template tile<1, NTX, false>(x, wk.b0 + i * wk.bs, 1, t0, g0, g1, tab);
    }
  }

  // Work items [c0, c1) for tokens [t0, t0 + NTX), segment by segment. The first item of a
  // segment builds its tables step by step just before it looks them up: the build is compute,
  // and done up front it would leave the memory system idle until the first weights are asked
  // for (measured on 640x2560 decode: ~0.7 us of a 13 us call); interleaved, it runs while that
  // item's weights stream in.
  template <int NTX>
  static void chunk(const Ctx& x, const Rows<K::MB, K::SPLIT>& rows, int c0, int c1, int t0, uint8_t* tab) {
    for (int64_t g0 = 0; g0 < x.groups; g0 += K::SEG) {
      const int64_t g1 = g0 + K::SEG < x.groups ? g0 + K::SEG : x.groups;
      work<NTX, true>(x, rows.at(c0), t0, g0, g1, tab);
      for (int i = c0 + 1; i < c1; ++i) work<NTX, false>(x, rows.at(i), t0, g0, g1, tab);
    }
  }

  static void run(const trine_gemm_args* a, int32_t tid, int32_t nthreads) {
    const Ctx x{a, K::kLayout.block_bytes(a->K), K::kLayout.padded_groups(a->K)};
    const Rows<K::MB, K::SPLIT> rows(static_cast<int>(K::kLayout.blocks(a->M)), tid, nthreads);
    if (rows.count == 0) return;
    for (int i = 0; i < rows.count; ++i) {
      const Work wk = rows.at(i);
      for (int j = 0; j < wk.n; ++j) {
        const int64_t m0 = static_cast<int64_t>(wk.b0 + j * wk.bs) * K::kLayout.r;
        prefetch_out_rows(a, m0, m0 + K::kLayout.r);
      }
    }
    alignas(64) uint8_t tab[32 * K::NT * K::SEG];
    const int step = K::TR > 0 ? K::TR : rows.count;
    for (int c0 = 0; c0 < rows.count; c0 += step) {
      const int c1 = c0 + step < rows.count ? c0 + step : rows.count;
      int t0 = 0;
      for (; t0 + K::NT <= a->N; t0 += K::NT) chunk<K::NT>(x, rows, c0, c1, t0, tab);
      for (; t0 < a->N; ++t0) chunk<1>(x, rows, c0, c1, t0, tab);
    }
  }
};

template <class I_, int G_, int R, int MB_, int KG, int TS, int TR_, int NT_, int PF_, int SPLIT_>
struct Kernel {
  using I = I_;
  using V = typename I::V;
  static constexpr int G = G_, MB = MB_, TR = TR_, NT = NT_, PF = PF_, SPLIT = SPLIT_;
  static constexpr int BIAS = 0;
  static constexpr int VB = I::VB;
  static constexpr Layout kLayout{VB, R, G};
  static constexpr int kMaxKG = G == 3 ? 84 : 124;  // |T| <= 128 * G: kMaxKG * |T| < 32768
  static constexpr int GPU = kLayout.groups_per_unit();
  static constexpr int UB = kLayout.unit_bytes();
  static constexpr int ACC = 2 * (R / VB);  // int16 vectors per block and token
  static constexpr int SEG = TS > 0 ? TS : kTableBudget / (32 * NT) / KG * KG;
  static_assert(kLayout.valid(), "R must be vb or 2 * vb, G 2 or 3");
  static_assert(MB >= 1 && NT >= 1 && TR >= 0, "tile sizes must be positive");
  static_assert(KG >= 4 && KG % 4 == 0 && KG <= kMaxKG, "KG: a multiple of 4 the int16 sums cannot overflow in");
  static_assert(SEG >= KG && SEG % KG == 0 && 32 * NT * SEG <= kTableBudget, "TS: a multiple of KG within budget");

  // One unit of MBX blocks times NTX tokens into int16 sums: its first group is group gi of the
  // build step whose tables start at ts (a constant offset once the step loop is unrolled).
  template <int MBX, int NTX>
  static TRINE_LUT_INLINE void unit(const uint8_t* const* w, int64_t off, const uint8_t* ts, int gi,
                                    V (&acc)[NTX][MBX][ACC]) {
    V idx[MBX][2];
    typename I::Signs sg[MBX][2];
    TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb) {
      const uint8_t* p = w[mb] + off;
      if constexpr (PF > 0) prefetch(p + PF);
      const V x = I::load(p);
      idx[mb][0] = I::nib_lo(x);
      idx[mb][1] = I::nib_hi(x);
      if constexpr (G == 3) {
        sg[mb][0] = I::signs(p + VB);
        sg[mb][1] = I::signs(p + VB + VB / 8);
      }
    }
    TRINE_LUT_UNROLL for (int t = 0; t < NTX; ++t) {
      const uint8_t* tt = ts + static_cast<int64_t>(t) * SEG * 32;
      TRINE_LUT_UNROLL for (int h = 0; h < 2; ++h) {
        // R = vb: sub h is group gi + h into the same rows; R = 2vb: group gi into row half h.
        const uint8_t* lo = tt + (GPU == 2 ? gi + h : gi) * 16;
        const V tl = I::table(lo), th = I::table(lo + I::P * 16);
        const int a0 = GPU == 2 ? 0 : 2 * h;
        TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb) {
          const V l = I::lookup(tl, idx[mb][h]), hv = I::lookup(th, idx[mb][h]);
          TRINE_LUT_UNROLL for (int half = 0; half < 2; ++half) {
            V& sum = acc[t][mb][a0 + half];
            if constexpr (G == 3) sum = I::add_signed(sum, I::unpack(l, hv, half), sg[mb][h], half);
            else sum = I::add16(sum, I::unpack(l, hv, half));
          }
        }
      }
    }
  }

  // Blocks b0, b0 + bs, ... (MBX of them) times tokens [t0, t0 + NTX) over the segment's groups
  // [g0, g1), whose tables are at tab (BUILD: built here, step by step); int32 sums go to y (as
  // partial int32 bits or as floats).
  template <int MBX, int NTX, bool BUILD>
  static void tile(const Ctx& x, int b0, int bs, int t0, int64_t g0, int64_t g1, uint8_t* tab) {
    const trine_gemm_args* a = x.a;
    alignas(64) int32_t acc32[NTX][MBX][R];
    memset(acc32, 0, sizeof acc32);
    const uint8_t* w[MBX];
    TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb) w[mb] = a->w + static_cast<int64_t>(b0 + mb * bs) * x.block_bytes;
    if constexpr (PF > 0) {
      TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb)
        for (int off = 0; off < PF; off += 64) prefetch(w[mb] + g0 / GPU * UB + off);
    }
    for (int64_t k0 = g0; k0 < g1; k0 += KG) {
      const int64_t k1 = k0 + KG < g1 ? k0 + KG : g1;
      V acc[NTX][MBX][ACC];
      TRINE_LUT_UNROLL for (int t = 0; t < NTX; ++t)
        TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb)
          TRINE_LUT_UNROLL for (int v = 0; v < ACC; ++v) acc[t][mb][v] = I::zero();
      // k0 - g0 is a multiple of KG, so of the build step P: whole steps, then single units.
      int64_t g = k0;
      for (; g + I::P <= k1; g += I::P) {
        if constexpr (BUILD) build_step<I, G, BIAS, NTX>(a, t0, g, g0, tab, SEG * 32);
        const uint8_t* ts = tab + (g - g0) * 32;
        TRINE_LUT_UNROLL for (int u = 0; u < I::P / GPU; ++u) unit<MBX, NTX>(w, (g / GPU + u) * UB, ts, u * GPU, acc);
      }
      // The tail's tables are one partial step (a whole step is built, as its activations are padded).
      if constexpr (BUILD)
        if (g < k1) build_step<I, G, BIAS, NTX>(a, t0, g, g0, tab, SEG * 32);
      for (; g < k1; g += GPU) {
        const uint64_t rel = static_cast<uint64_t>(g - g0);
        unit<MBX, NTX>(w, g / GPU * UB, tab + rel / I::P * I::P * 32, static_cast<int>(rel % I::P), acc);
      }
      TRINE_LUT_UNROLL for (int t = 0; t < NTX; ++t)
        TRINE_LUT_UNROLL for (int mb = 0; mb < MBX; ++mb)
          TRINE_LUT_UNROLL for (int v = 0; v < ACC; ++v) I::widen_add(acc32[t][mb] + v * (VB / 2), acc[t][mb][v]);
    }
    const bool first = g0 == 0, last = g1 == x.groups;
    for (int t = 0; t < NTX; ++t) {
      const int n = t0 + t;
      float* y = a->y + n * a->y_stride;
      for (int mb = 0; mb < MBX; ++mb) {
        const int64_t m0 = static_cast<int64_t>(b0 + mb * bs) * R;
        const int rows = a->M - m0 < R ? static_cast<int>(a->M - m0) : R;
        merge_rows<I>(acc32[t][mb], y + m0, rows, a->scale[n], first, last);
      }
    }
  }

  static void run(const trine_gemm_args* a, int32_t tid, int32_t nthreads) { Driver<Kernel>::run(a, tid, nthreads); }
};

}  // namespace trine::lut

#endif
