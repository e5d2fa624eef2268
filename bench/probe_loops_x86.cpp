// The roofline's probe loops for x86: wide-load streams and vpdpbusd / pmaddubsw chains.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <cstring>

#include "bench/probe_loops.h"
#include "runtime/host.h"

namespace trine::bench {

const char* const kProbeArch = "x86";

namespace {

// The kernels prefetch their weights 2 KiB ahead, and so does the probe, or it would sit below
// what they reach. Each step reads one 64-byte line of each stream, its prefetch beside it: the
// same loads unrolled eight to a step (eight accumulators) read 30.8-34 GB/s on the development
// VM, this form 36.6-37.4 GB/s (2 threads, 2 GiB, alternating), and the roofline must be the
// higher. Several far-apart streams per thread can beat one: four read 38.9-39.2 GB/s there
// against 37.2-37.3 for one and two (eight: 34.7), and kernels walking four streams reach it.
// Short reads start fastest with three: 400 KiB over 2 threads in 11.8-12.0 us against 12.9 with
// two and 13.6-13.7 with four (340 KiB: 10.4-10.5 against 10.9-11.1).
inline void prefetch_ahead(const uint8_t* p) { _mm_prefetch(reinterpret_cast<const char*>(p) + 2048, _MM_HINT_T0); }

// S parts of `part` bytes side by side, then the whole lines left after them.
template <int S>
__attribute__((target("avx512f"))) uint64_t read_avx512(const uint8_t* p, std::size_t part, std::size_t lines_end) {
  __m512i acc[S];
  for (auto& a : acc) a = _mm512_setzero_si512();
  for (std::size_t i = 0; i + 64 <= part; i += 64)
    for (int s = 0; s < S; ++s) {
      prefetch_ahead(p + s * part + i);
      acc[s] = _mm512_xor_si512(acc[s], _mm512_load_si512(p + s * part + i));
    }
  for (std::size_t i = S * part; i < lines_end; i += 64) acc[0] = _mm512_xor_si512(acc[0], _mm512_load_si512(p + i));
  for (int s = 1; s < S; ++s) acc[0] = _mm512_xor_si512(acc[0], acc[s]);
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(acc[0]));
}

__attribute__((target("avx2"), always_inline)) inline __m256i fold_line_avx2(__m256i a, const uint8_t* line) {
  a = _mm256_xor_si256(a, _mm256_load_si256(reinterpret_cast<const __m256i*>(line)));
  return _mm256_xor_si256(a, _mm256_load_si256(reinterpret_cast<const __m256i*>(line + 32)));
}

template <int S>
__attribute__((target("avx2"))) uint64_t read_avx2(const uint8_t* p, std::size_t part, std::size_t lines_end) {
  __m256i acc[S];
  for (auto& a : acc) a = _mm256_setzero_si256();
  for (std::size_t i = 0; i + 64 <= part; i += 64)
    for (int s = 0; s < S; ++s) {
      prefetch_ahead(p + s * part + i);
      acc[s] = fold_line_avx2(acc[s], p + s * part + i);
    }
  for (std::size_t i = S * part; i < lines_end; i += 64) acc[0] = fold_line_avx2(acc[0], p + i);
  for (int s = 1; s < S; ++s) acc[0] = _mm256_xor_si256(acc[0], acc[s]);
  uint64_t out[4];
  std::memcpy(out, &acc[0], sizeof(out));
  return out[0] ^ out[1] ^ out[2] ^ out[3];
}

template <int S>
uint64_t read_streams(const uint8_t* p, std::size_t part, std::size_t lines_end, bool avx512) {
  return avx512 ? read_avx512<S>(p, part, lines_end) : read_avx2<S>(p, part, lines_end);
}

// The peak loops are written in assembly: what is measured must be the instruction, not how a
// compiler allocated sixteen accumulators. Twelve independent chains cover the latency.
#define TRINE_X12(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)
#define TRINE_DPBUSD_ZMM(i) "vpdpbusd %%zmm12, %%zmm13, %%zmm" #i "\n\t"
#define TRINE_DPBUSD_YMM(i) "%{vex%} vpdpbusd %%ymm12, %%ymm13, %%ymm" #i "\n\t"
#define TRINE_MADDUBS_YMM(i) "vpmaddubsw %%ymm12, %%ymm13, %%ymm14\n\tvpmaddwd %%ymm14, %%ymm15, %%ymm14\n\tvpaddd %%ymm14, %%ymm" #i ", %%ymm" #i "\n\t"
// Registers start zeroed so every probe begins from the same state.
#define TRINE_ZERO(i) "vpxor %%xmm" #i ", %%xmm" #i ", %%xmm" #i "\n\t"
#define TRINE_ZERO_ALL TRINE_X12(TRINE_ZERO) TRINE_ZERO(12) TRINE_ZERO(13) TRINE_ZERO(14) TRINE_ZERO(15)
#define TRINE_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", \
                       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc"

long peak_avx512vnni(long n) {
  __asm__ volatile(TRINE_ZERO_ALL "1:\n\t" TRINE_X12(TRINE_DPBUSD_ZMM) "dec %0\n\tjnz 1b" : "+r"(n) : : TRINE_CLOBBERS);
  return 12L * 64;
}

long peak_avxvnni(long n) {
  __asm__ volatile(TRINE_ZERO_ALL "1:\n\t" TRINE_X12(TRINE_DPBUSD_YMM) "dec %0\n\tjnz 1b" : "+r"(n) : : TRINE_CLOBBERS);
  return 12L * 32;
}

long peak_avx2(long n) {
  __asm__ volatile(TRINE_ZERO_ALL "1:\n\t" TRINE_X12(TRINE_MADDUBS_YMM) "dec %0\n\tjnz 1b" : "+r"(n) : : TRINE_CLOBBERS);
  return 12L * 32;
}

}  // namespace

uint64_t read_pass(const uint8_t* p, std::size_t bytes, int streams, std::size_t* read) {
  const std::size_t part = bytes / static_cast<std::size_t>(streams) / 64 * 64;
  *read = bytes / 64 * 64;
  const bool avx512 = host_info().has("avx512f");
  switch (streams) {
    case 4: return read_streams<4>(p, part, *read, avx512);
    case 3: return read_streams<3>(p, part, *read, avx512);
    case 2: return read_streams<2>(p, part, *read, avx512);
    default: return read_streams<1>(p, part, *read, avx512);
  }
}

bool has_int8_peak_loop(Isa isa) { return isa != Isa::neondot; }

long int8_peak_loop(Isa isa, long iters) {
  switch (isa) {
    case Isa::avx512vnni: return peak_avx512vnni(iters);
    case Isa::avxvnni: return peak_avxvnni(iters);
    case Isa::avx2: return peak_avx2(iters);
    case Isa::neondot: break;
  }
  return 0;
}

}  // namespace trine::bench

#endif
