// MAD family kernels: 2-bit codes c = w + 1 in {0, 1, 2} multiplied by int8 activations (as u8 on
// x86, as s8 by Arm's sdot: either way 0..2 is exact), acc = sum(c * q) - sum(q). One template over
// the tuning knobs; the ISA is a traits class, and only the traits the translation unit's target
// supports are defined, so a TU built for AVX2 alone cannot emit an AVX-512 instruction.
//
// Knobs (all compile-time):
//   R      rows per block (layout, see mad_layout.h)
//   MB     row blocks processed together: activation loads shared by MB blocks
//   NT     tokens processed together: each decoded weight vector used NT times (prefill)
//   KU     chunks per inner iteration (unroll; for AVX2 also the int16 accumulation depth)
//   PF     software prefetch distance in bytes ahead of each weight stream (0 = none)
//   KB     K block in k elements (0 = whole K): partial sums kept in scratch between blocks
//   SPLIT  0 = contiguous row ranges per thread, 1 = row groups dealt round robin,
//          2 = contiguous ranges walked as MB far-apart streams at once (more DRAM pages in
//          flight per thread, so a short decode GEMV spends less of itself ramping up)
//   DEC    0 = planes decoded by shift + mask; 1 = masked in place (x86 VNNI only): plane p then
//          carries codes times 4^p (<= 128, still a valid u8), each plane sums into its own
//          accumulator, and an exact arithmetic shift removes the factor at the end. Saves the
//          three shifts per chunk that bound a decode GEMV on double-pumped AVX-512.
#ifndef TRINE_MAD_H
#define TRINE_MAD_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif
#include <stdint.h>
#include <string.h>

#include <utility>

#include "runtime/kernel_abi.h"
#include "templates/cpu/mad_layout.h"
#include "templates/cpu/row_blocks.h"

#if defined(__clang__)
#define TRINE_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define TRINE_UNROLL _Pragma("GCC unroll 16")
#else
#define TRINE_UNROLL
#endif
#define TRINE_INLINE inline __attribute__((always_inline))

namespace trine::mad {

template <int BYTES>
TRINE_INLINE int64_t load_le(const int8_t* p) {
  int64_t v = 0;
  memcpy(&v, p, BYTES);
  return v;
}

#if defined(__x86_64__) || defined(__i386__)
#if defined(__AVX2__)
// pmaddubsw sums two u8 x s8 products into int16 (|.| <= 2*2*128 = 512, never saturating); up to
// 63 of them fit an int16 lane, then pmaddwd by 1 widens to int32.
struct Avx2 {
  using V = __m256i;
  using Part = __m256i;
  static constexpr int VB = 32;
  static constexpr int kMaxDotsPerPart = 63;
  static constexpr const char* name = "avx2";
  // int16 partials are summed with 1-cycle adds: one chain per accumulator keeps up.
  static constexpr int chains(int tiles) { return 1; }
  static TRINE_INLINE V zero() { return _mm256_setzero_si256(); }
  static TRINE_INLINE V load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static TRINE_INLINE void store(int32_t* p, V v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static TRINE_INLINE V add(V a, V b) { return _mm256_add_epi32(a, b); }
  // pmaddubsw pairs of (code * 64) * 128 would saturate int16: no in-place decode on AVX2.
  static constexpr bool kInPlaceDecode = false;
  template <int SHIFT>
  static TRINE_INLINE V masked(V x) { return _mm256_and_si256(x, _mm256_set1_epi8(static_cast<char>(3 << SHIFT))); }
  template <int SHIFT>
  static TRINE_INLINE V srai(V v) { return _mm256_srai_epi32(v, SHIFT); }
  template <int SHIFT>
  static TRINE_INLINE V plane(V x) {
    const V mask = _mm256_set1_epi8(3);
    if constexpr (SHIFT == 0) return _mm256_and_si256(x, mask);
    else return _mm256_and_si256(_mm256_srli_epi16(x, SHIFT), mask);
  }
  template <int BYTES>
  static TRINE_INLINE V act(const int8_t* p) {
    if constexpr (BYTES == 4) return _mm256_set1_epi32(static_cast<int32_t>(load_le<4>(p)));
    else if constexpr (BYTES == 8) return _mm256_set1_epi64x(load_le<8>(p));
    else if constexpr (BYTES == 16)
      return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    else return load(p);
  }
  static TRINE_INLINE Part part_begin(V) { return zero(); }
  static TRINE_INLINE Part dot(Part part, V codes, V a) {
    return _mm256_add_epi16(part, _mm256_maddubs_epi16(codes, a));
  }
  static TRINE_INLINE V part_end(V acc, Part part) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(part, _mm256_set1_epi16(1)));
  }
};
#endif

#if defined(__AVXVNNI__)
// vpdpbusd on 256-bit vectors (VEX encoding): u8 x s8, four products summed into each int32 lane.
struct AvxVnni : Avx2 {
  using Part = __m256i;
  static constexpr int kMaxDotsPerPart = 1 << 30;
  static constexpr const char* name = "avxvnni";
  static constexpr bool kInPlaceDecode = true;
  // vpdpbusd has a latency of several cycles: keep about 8 independent chains in flight.
  static constexpr int chains(int tiles) { return tiles >= 8 ? 1 : tiles >= 4 ? 2 : 4; }
  static TRINE_INLINE Part part_begin(V acc) { return acc; }
  static TRINE_INLINE Part dot(Part part, V codes, V a) { return _mm256_dpbusd_avx_epi32(part, codes, a); }
  static TRINE_INLINE V part_end(V, Part part) { return part; }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
struct Avx512Vnni {
  using V = __m512i;
  using Part = __m512i;
  static constexpr int VB = 64;
  static constexpr int kMaxDotsPerPart = 1 << 30;
  static constexpr const char* name = "avx512vnni";
  static constexpr int chains(int tiles) { return tiles >= 8 ? 1 : tiles >= 4 ? 2 : 4; }
  static TRINE_INLINE V zero() { return _mm512_setzero_si512(); }
  static TRINE_INLINE V load(const void* p) { return _mm512_loadu_si512(p); }
  static TRINE_INLINE void store(int32_t* p, V v) { _mm512_storeu_si512(p, v); }
  static TRINE_INLINE V add(V a, V b) { return _mm512_add_epi32(a, b); }
  static constexpr bool kInPlaceDecode = true;
  template <int SHIFT>
  static TRINE_INLINE V masked(V x) { return _mm512_and_si512(x, _mm512_set1_epi8(static_cast<char>(3 << SHIFT))); }
  template <int SHIFT>
  static TRINE_INLINE V srai(V v) { return _mm512_srai_epi32(v, SHIFT); }
  template <int SHIFT>
  static TRINE_INLINE V plane(V x) {
    const V mask = _mm512_set1_epi8(3);
    if constexpr (SHIFT == 0) return _mm512_and_si512(x, mask);
    else return _mm512_and_si512(_mm512_srli_epi16(x, SHIFT), mask);
  }
  template <int BYTES>
  static TRINE_INLINE V act(const int8_t* p) {
    if constexpr (BYTES == 4) return _mm512_set1_epi32(static_cast<int32_t>(load_le<4>(p)));
    else if constexpr (BYTES == 8) return _mm512_set1_epi64(load_le<8>(p));
    else if constexpr (BYTES == 16)
      return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    else if constexpr (BYTES == 32)
      return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    else return load(p);
  }
  static TRINE_INLINE Part part_begin(V acc) { return acc; }
  static TRINE_INLINE Part dot(Part part, V codes, V a) { return _mm512_dpbusd_epi32(part, codes, a); }
  static TRINE_INLINE V part_end(V, Part part) { return part; }
};
#endif
#endif  // x86

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
// sdot (Armv8.2 dot product) on 128-bit vectors: s8 x s8, four products summed into each int32
// lane. Codes 0..2 are valid s8, so the x86 math carries over unchanged. In-place decode does not:
// code 2 << 6 = 128 is out of s8 range.
struct NeonDot {
  using V = int32x4_t;
  using Part = int32x4_t;
  static constexpr int VB = 16;
  static constexpr int kMaxDotsPerPart = 1 << 30;
  static constexpr const char* name = "neondot";
  // sdot has a latency of 3-4 cycles on two or more pipes: about 8 independent chains, as for VNNI.
  static constexpr int chains(int tiles) { return tiles >= 8 ? 1 : tiles >= 4 ? 2 : 4; }
  static TRINE_INLINE V zero() { return vdupq_n_s32(0); }
  // Byte loads: weight, activation and scratch pointers carry no alignment promise.
  static TRINE_INLINE V load(const void* p) { return vreinterpretq_s32_s8(vld1q_s8(static_cast<const int8_t*>(p))); }
  static TRINE_INLINE void store(int32_t* p, V v) { vst1q_s8(reinterpret_cast<int8_t*>(p), vreinterpretq_s8_s32(v)); }
  static TRINE_INLINE V add(V a, V b) { return vaddq_s32(a, b); }
  static constexpr bool kInPlaceDecode = false;
  template <int SHIFT>
  static TRINE_INLINE V masked(V x) {
    return vreinterpretq_s32_u8(vandq_u8(vreinterpretq_u8_s32(x), vdupq_n_u8(static_cast<uint8_t>(3 << SHIFT))));
  }
  template <int SHIFT>
  static TRINE_INLINE V srai(V v) { return vshrq_n_s32(v, SHIFT); }
  // NEON shifts bytes, so unlike x86 no bits cross in from the neighbouring byte, and the top
  // plane needs no mask at all.
  template <int SHIFT>
  static TRINE_INLINE V plane(V x) {
    const uint8x16_t b = vreinterpretq_u8_s32(x);
    if constexpr (SHIFT == 0) return vreinterpretq_s32_u8(vandq_u8(b, vdupq_n_u8(3)));
    else if constexpr (SHIFT == 6) return vreinterpretq_s32_u8(vshrq_n_u8(b, 6));
    else return vreinterpretq_s32_u8(vandq_u8(vshrq_n_u8(b, SHIFT), vdupq_n_u8(3)));
  }
  template <int BYTES>
  static TRINE_INLINE V act(const int8_t* p) {
    if constexpr (BYTES == 4) return vdupq_n_s32(static_cast<int32_t>(load_le<4>(p)));
    else if constexpr (BYTES == 8) return vreinterpretq_s32_s64(vdupq_n_s64(load_le<8>(p)));
    else return load(p);
  }
  static TRINE_INLINE Part part_begin(V acc) { return acc; }
  static TRINE_INLINE Part dot(Part part, V codes, V a) {
    return vdotq_s32(part, vreinterpretq_s8_s32(codes), vreinterpretq_s8_s32(a));
  }
  static TRINE_INLINE V part_end(V, Part part) { return part; }
};
#endif

// Read-only, keep in all cache levels: what _mm_prefetch(p, _MM_HINT_T0) expands to on x86.
TRINE_INLINE void prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }

template <class I, int R, int MB, int NT, int KU, int PF, int KB, int SPLIT, int DEC = 0>
struct Kernel {
  using V = typename I::V;
  using Part = typename I::Part;
  static constexpr Layout kLayout{I::VB, R};
  static constexpr int LANES = I::VB / 4;
  static constexpr int L = LANES / R;   // lanes per row
  static constexpr int CK = 16 * L;     // k per chunk
  static constexpr int AB = 4 * L;      // activation bytes one plane needs
  static_assert(kLayout.valid(), "R must divide the lanes of a vector");
  static_assert(MB >= 1 && NT >= 1 && KU >= 1, "tile sizes must be positive");
  static_assert(4 * KU <= I::kMaxDotsPerPart, "int16 partial sums would overflow");
  static_assert(MB * LANES <= TRINE_SCRATCH_PER_TOKEN, "scratch too small for this tile");
  static_assert(DEC == 0 || I::kInPlaceDecode, "in-place decode needs u8 x s8 int32 multiply-add (x86 VNNI)");

  using Ctx = rows::Ctx;

  // Each (block, token) accumulator is split into C independent chains so the multiply-add
  // latency overlaps; plane p feeds chain p % C.
  template <int MBX, int NTX>
  struct Tile {
    static constexpr int C = DEC ? 4 : I::chains(MBX * NTX);
  };

  // One chunk of MBX row blocks times NTX tokens. Each block's chunk is decoded once and used for
  // every token; each activation broadcast is used by every block.
  template <int MBX, int NTX, int C, int U>
  static TRINE_INLINE void chunk(const uint8_t* const* w, const int8_t* q, int64_t qs, int64_t c,
                                 Part (&part)[MBX][NTX][C]) {
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb) {
      const uint8_t* p = w[mb] + (c + U) * I::VB;
      if constexpr (PF > 0) {
        // Chunks of one step that share a 64-byte line share its prefetch.
        if constexpr (I::VB >= 64 || U % (64 / I::VB) == 0) prefetch(p + PF);
      }
      const V x = I::load(p);
      V pl[4];
      if constexpr (DEC) {
        pl[0] = I::template masked<0>(x), pl[1] = I::template masked<2>(x);
        pl[2] = I::template masked<4>(x), pl[3] = I::template masked<6>(x);
      } else {
        pl[0] = I::template plane<0>(x), pl[1] = I::template plane<2>(x);
        pl[2] = I::template plane<4>(x), pl[3] = I::template plane<6>(x);
      }
      TRINE_UNROLL for (int t = 0; t < NTX; ++t) {
        const int8_t* qa = q + t * qs + (c + U) * CK;
        TRINE_UNROLL for (int pp = 0; pp < 4; ++pp) {
          part[mb][t][pp % C] = I::dot(part[mb][t][pp % C], pl[pp], I::template act<AB>(qa + pp * AB));
        }
      }
    }
  }

  template <int MBX, int NTX, int C, int... Us>
  static TRINE_INLINE void step(const uint8_t* const* w, const int8_t* q, int64_t qs, int64_t c,
                                V (&acc)[MBX][NTX][C], std::integer_sequence<int, Us...>) {
    Part part[MBX][NTX][C];
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
      TRINE_UNROLL for (int t = 0; t < NTX; ++t)
        TRINE_UNROLL for (int h = 0; h < C; ++h) part[mb][t][h] = I::part_begin(acc[mb][t][h]);
    (chunk<MBX, NTX, C, Us>(w, q, qs, c, part), ...);
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
      TRINE_UNROLL for (int t = 0; t < NTX; ++t)
        TRINE_UNROLL for (int h = 0; h < C; ++h) acc[mb][t][h] = I::part_end(acc[mb][t][h], part[mb][t][h]);
  }

  template <int C>
  static TRINE_INLINE V fold(const V (&chains)[C]) {
    if constexpr (DEC) {  // chain p holds 4^p * (its plane's sum); every term is exact
      return I::add(I::add(chains[0], I::template srai<2>(chains[1])),
                    I::add(I::template srai<4>(chains[2]), I::template srai<6>(chains[3])));
    }
    V v = chains[0];
    TRINE_UNROLL for (int h = 1; h < C; ++h) v = I::add(v, chains[h]);
    return v;
  }

  // Rows of blocks [b0, b0 + MBX) times tokens [t0, t0 + NTX) over chunks [c0, c1).
  template <int MBX, int NTX>
  static void tile(const Ctx& x, int b0, int bs, int t0, int64_t c0, int64_t c1, int32_t* scratch) {
    constexpr int C = Tile<MBX, NTX>::C;
    const trine_gemm_args* a = x.a;
    const bool first = c0 == 0, last = c1 == x.nchunks;
    V acc[MBX][NTX][C];
    int32_t* sp = first && last ? nullptr : scratch + static_cast<int64_t>(t0) * TRINE_SCRATCH_PER_TOKEN;
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
      TRINE_UNROLL for (int t = 0; t < NTX; ++t) {
        acc[mb][t][0] = first ? I::zero() : I::load(sp + t * TRINE_SCRATCH_PER_TOKEN + mb * LANES);
        TRINE_UNROLL for (int h = 1; h < C; ++h) acc[mb][t][h] = I::zero();
      }
    const uint8_t* w[MBX];
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb) w[mb] = a->w + static_cast<int64_t>(b0 + mb * bs) * x.block_bytes;
    if constexpr (PF > 0) {
      // The in-loop prefetch runs PF bytes ahead; cover those first PF bytes of every stream now,
      // so a short decode GEMV does not wait for the hardware prefetcher to ramp up.
      TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
        for (int off = 0; off < PF; off += 64) prefetch(w[mb] + c0 * I::VB + off);
    }
    const int8_t* q = a->q + t0 * a->q_stride;
    int64_t c = c0;
    for (; c + KU <= c1; c += KU)
      step<MBX, NTX, C>(w, q, a->q_stride, c, acc, std::make_integer_sequence<int, KU>{});
    for (; c < c1; ++c) step<MBX, NTX, C>(w, q, a->q_stride, c, acc, std::make_integer_sequence<int, 1>{});
    V sum[MBX][NTX];
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
      TRINE_UNROLL for (int t = 0; t < NTX; ++t) sum[mb][t] = fold<C>(acc[mb][t]);
    if (!last) {
      TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
        TRINE_UNROLL for (int t = 0; t < NTX; ++t) I::store(sp + t * TRINE_SCRATCH_PER_TOKEN + mb * LANES, sum[mb][t]);
      return;
    }
    rows::epilogue<I, R, L>(a, b0, bs, t0, sum);
  }

  static void run(const trine_gemm_args* a, int32_t tid, int32_t nthreads) {
    rows::Driver<Kernel, MB, NT, KB, CK, SPLIT>::run(a, tid, nthreads, kLayout);
  }
};

}  // namespace trine::mad

#endif
