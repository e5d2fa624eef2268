// Base-3 family kernels: five trits per byte (see base3_layout.h), decoded in registers and
// multiplied by int8 activations, acc = sum(digit * q) - sum(q). The knobs and the loop structure
// are the MAD family's (mad.h), whose ISA traits this reuses; only the decode differs.
//
// Knobs (all compile-time):
//   R      rows per block (layout, see base3_layout.h)
//   MB     row blocks processed together: activation loads shared by MB blocks
//   NT     tokens processed together: each decoded weight vector used NT times (prefill)
//   KU     chunks per inner iteration (unroll; for AVX2 also the int16 accumulation depth)
//   PF     software prefetch distance in bytes ahead of each weight stream (0 = none)
//   KB     K block in k elements (0 = whole K): partial sums kept in scratch between blocks
//   SPLIT  0 = contiguous row ranges per thread, 1 = row groups dealt round robin,
//          2 = contiguous ranges walked as MB far-apart streams at once
//   DEC    0 = linear (x86 VNNI only): per byte 3 x_p - x_{p+1} = 256 digit_p exactly, so the
//              fractions x_p themselves are the u8 operands: A += x_p . a_p, B += x_{p+1} . a_p,
//              and sum digit_p a_p = (3A - B) >> 8. No digit is ever formed: 2 byte adds and
//              2 multiply-adds per plane.
//          1 = compare: digit_p = [x_p >= 86] + [x_p >= 171], then one multiply-add per plane.
#ifndef TRINE_BASE3_H
#define TRINE_BASE3_H

#include "templates/cpu/base3_layout.h"
#include "templates/cpu/mad.h"

namespace trine::base3 {

using mad::prefetch;

#if defined(__x86_64__) || defined(__i386__)
#if defined(__AVX2__)
// 256-bit decode. The compare works on x ^ 0x80 (signed compares only): that bias survives the
// chain, since 3 (x + 128) = 3x + 128 + 256, so it is applied once per chunk, not once per plane.
struct YmmDecode {
  using V = __m256i;
  static TRINE_INLINE V bias(V x) { return _mm256_xor_si256(x, _mm256_set1_epi8(static_cast<char>(0x80))); }
  static TRINE_INLINE V triple(V x) { return _mm256_add_epi8(_mm256_add_epi8(x, x), x); }
  // Biased byte y = x ^ 0x80: x >= 86 is y > 85 - 128, x >= 171 is y > 170 - 128; each true
  // compare is -1, so the digit is the magnitude of their sum.
  static TRINE_INLINE V digit(V y) {
    const V lo = _mm256_cmpgt_epi8(y, _mm256_set1_epi8(85 - 128));
    const V hi = _mm256_cmpgt_epi8(y, _mm256_set1_epi8(170 - 128));
    return _mm256_abs_epi8(_mm256_add_epi8(lo, hi));
  }
  static TRINE_INLINE V linear(V a, V b) {
    return _mm256_srai_epi32(_mm256_sub_epi32(_mm256_add_epi32(_mm256_add_epi32(a, a), a), b), 8);
  }
};

// pmaddubsw: digit (<= 2) times activation (|.| <= 128), pairs summed in int16 (<= 512), so at most
// 63 of them per int16 partial. The fractions x_p reach 255: no linear decode without VNNI.
struct Avx2 : mad::Avx2, YmmDecode {
  using V = __m256i;
  using Part = __m256i;
  static constexpr bool kLinearDecode = false;
};
#endif

#if defined(__AVXVNNI__)
struct AvxVnni : mad::AvxVnni, YmmDecode {
  using V = __m256i;
  using Part = __m256i;
  static constexpr bool kLinearDecode = true;
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
struct Avx512Vnni : mad::Avx512Vnni {
  static constexpr bool kLinearDecode = true;
  static TRINE_INLINE V bias(V x) { return x; }  // unsigned byte compares exist here
  static TRINE_INLINE V triple(V x) { return _mm512_add_epi8(_mm512_add_epi8(x, x), x); }
  static TRINE_INLINE V digit(V x) {
    const __mmask64 lo = _mm512_cmpge_epu8_mask(x, _mm512_set1_epi8(86));
    const __mmask64 hi = _mm512_cmpge_epu8_mask(x, _mm512_set1_epi8(static_cast<char>(171)));
    return _mm512_mask_blend_epi8(hi, _mm512_maskz_mov_epi8(lo, _mm512_set1_epi8(1)), _mm512_set1_epi8(2));
  }
  static TRINE_INLINE V linear(V a, V b) {
    // The maskz form: GCC 12 flags the plain one's undefined pass-through as maybe uninitialized.
    const V t = _mm512_sub_epi32(_mm512_add_epi32(_mm512_add_epi32(a, a), a), b);
    return _mm512_maskz_srai_epi32(static_cast<__mmask16>(0xFFFF), t, 8);
  }
};
#endif
#endif  // x86

template <class I, int R, int MB, int NT, int KU, int PF, int KB, int SPLIT, int DEC>
struct Kernel {
  using V = typename I::V;
  using Part = typename I::Part;
  static constexpr Layout kLayout{I::VB, R};
  static constexpr int LANES = I::VB / 4;
  static constexpr int L = LANES / R;         // lanes per row
  static constexpr int CK = 4 * kPlanes * L;  // k per chunk
  static constexpr int AB = 4 * L;            // activation bytes one plane needs
  static constexpr bool kLinear = DEC == 0;
  static_assert(kLayout.valid(), "R must divide the lanes of a vector");
  static_assert(MB >= 1 && NT >= 1 && KU >= 1, "tile sizes must be positive");
  static_assert(kPlanes * KU <= I::kMaxDotsPerPart, "int16 partial sums would overflow");
  static_assert(MB * LANES <= TRINE_SCRATCH_PER_TOKEN, "scratch too small for this tile");
  static_assert(DEC == 0 || DEC == 1, "DEC is 0 (linear) or 1 (compare)");
  static_assert(!kLinear || I::kLinearDecode, "linear decode needs u8 x s8 int32 multiply-add (x86 VNNI)");

  // Linear decode: a lane's 3A - B is 256 times its true sum (<= 20 * 2 * 128 per chunk in
  // magnitude) and is exact in wrapping int32 while that stays below 2^31, i.e. for 1638 chunks.
  // Folding every 1024 chunks keeps any K exact; compare decode sums digits directly and never
  // needs to fold.
  static constexpr int64_t kFoldChunks = kLinear ? 1024 / KU * KU : int64_t{1} << 40;

  using Ctx = rows::Ctx;

  // Each (block, token) sum is split into C independent chains so the multiply-add latency
  // overlaps; plane p feeds chain p % C. Linear decode keeps C chains of A and C of B (2C slots).
  template <int MBX, int NTX>
  struct Tile {
    static constexpr int C = kLinear ? (I::chains(MBX * NTX) >= 2 ? I::chains(MBX * NTX) / 2 : 1)
                                     : I::chains(MBX * NTX);
    static constexpr int S = kLinear ? 2 * C : C;
  };

  // One chunk of MBX row blocks times NTX tokens. Planes are walked outermost so only x_p and
  // x_{p+1} are live; each decoded vector serves every token, each activation every block.
  template <int MBX, int NTX, int C, int S, int U>
  static TRINE_INLINE void chunk(const uint8_t* const* w, const int8_t* q, int64_t qs, int64_t c,
                                 Part (&part)[MBX][NTX][S]) {
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb) {
      const uint8_t* p = w[mb] + (c + U) * I::VB;
      if constexpr (PF > 0) {
        if constexpr (I::VB >= 64 || U % (64 / I::VB) == 0) prefetch(p + PF);
      }
      V x = I::load(p);
      if constexpr (!kLinear) x = I::bias(x);
      TRINE_UNROLL for (int pp = 0; pp < kPlanes; ++pp) {
        if constexpr (kLinear) {
          const V next = I::triple(x);
          TRINE_UNROLL for (int t = 0; t < NTX; ++t) {
            const V a = I::template act<AB>(q + t * qs + (c + U) * CK + pp * AB);
            part[mb][t][pp % C] = I::dot(part[mb][t][pp % C], x, a);
            part[mb][t][C + pp % C] = I::dot(part[mb][t][C + pp % C], next, a);
          }
          x = next;
        } else {
          const V d = I::digit(x);
          if (pp + 1 < kPlanes) x = I::triple(x);
          TRINE_UNROLL for (int t = 0; t < NTX; ++t) {
            const V a = I::template act<AB>(q + t * qs + (c + U) * CK + pp * AB);
            part[mb][t][pp % C] = I::dot(part[mb][t][pp % C], d, a);
          }
        }
      }
    }
  }

  template <int MBX, int NTX, int C, int S, int... Us>
  static TRINE_INLINE void step(const uint8_t* const* w, const int8_t* q, int64_t qs, int64_t c,
                                V (&acc)[MBX][NTX][S], std::integer_sequence<int, Us...>) {
    Part part[MBX][NTX][S];
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
      TRINE_UNROLL for (int t = 0; t < NTX; ++t)
        TRINE_UNROLL for (int h = 0; h < S; ++h) part[mb][t][h] = I::part_begin(acc[mb][t][h]);
    (chunk<MBX, NTX, C, S, Us>(w, q, qs, c, part), ...);
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
      TRINE_UNROLL for (int t = 0; t < NTX; ++t)
        TRINE_UNROLL for (int h = 0; h < S; ++h) acc[mb][t][h] = I::part_end(acc[mb][t][h], part[mb][t][h]);
  }

  // The running sum plus one segment's chains.
  template <int C, int S>
  static TRINE_INLINE V fold(V sum, const V (&chains)[S]) {
    V a = chains[0];
    TRINE_UNROLL for (int h = 1; h < C; ++h) a = I::add(a, chains[h]);
    if constexpr (!kLinear) return I::add(sum, a);
    V b = chains[C];
    TRINE_UNROLL for (int h = C + 1; h < S; ++h) b = I::add(b, chains[h]);
    return I::add(sum, I::linear(a, b));
  }

  // Rows of blocks [b0, b0 + MBX) times tokens [t0, t0 + NTX) over chunks [c0, c1).
  template <int MBX, int NTX>
  static void tile(const Ctx& x, int b0, int bs, int t0, int64_t c0, int64_t c1, int32_t* scratch) {
    constexpr int C = Tile<MBX, NTX>::C, S = Tile<MBX, NTX>::S;
    const trine_gemm_args* a = x.a;
    const bool first = c0 == 0, last = c1 == x.nchunks;
    int32_t* sp = first && last ? nullptr : scratch + static_cast<int64_t>(t0) * TRINE_SCRATCH_PER_TOKEN;
    V sum[MBX][NTX];
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
      TRINE_UNROLL for (int t = 0; t < NTX; ++t)
        sum[mb][t] = first ? I::zero() : I::load(sp + t * TRINE_SCRATCH_PER_TOKEN + mb * LANES);
    const uint8_t* w[MBX];
    TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb) w[mb] = a->w + static_cast<int64_t>(b0 + mb * bs) * x.block_bytes;
    if constexpr (PF > 0) {
      // Cover the first PF bytes of every stream now, so a short decode GEMV does not wait for
      // the hardware prefetcher to ramp up.
      TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
        for (int off = 0; off < PF; off += 64) prefetch(w[mb] + c0 * I::VB + off);
    }
    const int8_t* q = a->q + t0 * a->q_stride;
    for (int64_t c = c0; c < c1;) {
      const int64_t end = c1 - c > kFoldChunks ? c + kFoldChunks : c1;
      V acc[MBX][NTX][S];
      TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
        TRINE_UNROLL for (int t = 0; t < NTX; ++t)
          TRINE_UNROLL for (int h = 0; h < S; ++h) acc[mb][t][h] = I::zero();
      for (; c + KU <= end; c += KU)
        step<MBX, NTX, C, S>(w, q, a->q_stride, c, acc, std::make_integer_sequence<int, KU>{});
      for (; c < end; ++c) step<MBX, NTX, C, S>(w, q, a->q_stride, c, acc, std::make_integer_sequence<int, 1>{});
      TRINE_UNROLL for (int mb = 0; mb < MBX; ++mb)
        TRINE_UNROLL for (int t = 0; t < NTX; ++t) sum[mb][t] = fold<C, S>(sum[mb][t], acc[mb][t]);
    }
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

}  // namespace trine::base3

#endif
