// The roofline's probe loops for x86: wide-load streams and vpdpbusd / pmaddubsw chains.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <cstring>

#include "bench/probe_loops.h"
#include "runtime/host.h"

namespace trine::bench {

const char* const kProbeArch = "x86";

namespace {

// Eight independent accumulators keep the loads, not the adds, the limit. The kernels prefetch
// their weights 2 KiB ahead, and on huge pages outran a plain stream by up to 10 %; so does a
// probe that prefetches (here 33-35 GB/s against 28-30 for one plain stream, 31-33 for two): the
// roofline prefetches as they do, or it would sit below what they reach.
inline void prefetch_ahead(const uint8_t* p) { _mm_prefetch(reinterpret_cast<const char*>(p) + 2048, _MM_HINT_T0); }

__attribute__((target("avx512f"))) uint64_t read_avx512(const uint8_t* p, std::size_t bytes) {
  __m512i acc[8];
  for (auto& a : acc) a = _mm512_setzero_si512();
  for (std::size_t i = 0; i + 512 <= bytes; i += 512)
    for (int j = 0; j < 8; ++j) {
      prefetch_ahead(p + i + 64 * j);
      acc[j] = _mm512_xor_si512(acc[j], _mm512_load_si512(p + i + 64 * j));
    }
  for (int j = 1; j < 8; ++j) acc[0] = _mm512_xor_si512(acc[0], acc[j]);
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(acc[0]));
}

// The same loads from two far-apart halves at once: some memory systems serve two streams per
// core faster than one, and the roofline must not sit below what a kernel can reach.
__attribute__((target("avx512f"))) uint64_t read_avx512_two(const uint8_t* p, std::size_t bytes) {
  __m512i acc[8];
  for (auto& a : acc) a = _mm512_setzero_si512();
  const std::size_t half = bytes / 2 / 256 * 256;
  for (std::size_t i = 0; i + 256 <= half; i += 256)
    for (int j = 0; j < 4; ++j) {
      prefetch_ahead(p + i + 64 * j);
      prefetch_ahead(p + half + i + 64 * j);
      acc[j] = _mm512_xor_si512(acc[j], _mm512_load_si512(p + i + 64 * j));
      acc[4 + j] = _mm512_xor_si512(acc[4 + j], _mm512_load_si512(p + half + i + 64 * j));
    }
  for (int j = 1; j < 8; ++j) acc[0] = _mm512_xor_si512(acc[0], acc[j]);
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(acc[0]));
}

__attribute__((target("avx2"))) uint64_t read_avx2(const uint8_t* p, std::size_t bytes) {
  __m256i acc[8];
  for (auto& a : acc) a = _mm256_setzero_si256();
  for (std::size_t i = 0; i + 256 <= bytes; i += 256)
    for (int j = 0; j < 8; ++j) {
      if (j % 2 == 0) prefetch_ahead(p + i + 32 * j);
      acc[j] = _mm256_xor_si256(acc[j], _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32 * j)));
    }
  for (int j = 1; j < 8; ++j) acc[0] = _mm256_xor_si256(acc[0], acc[j]);
  uint64_t out[4];
  std::memcpy(out, &acc[0], sizeof(out));
  return out[0] ^ out[1] ^ out[2] ^ out[3];
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

uint64_t read_pass(const uint8_t* p, std::size_t bytes, bool two_streams, std::size_t* read) {
  if (!host_info().has("avx512f")) {
    *read = bytes / 256 * 256;
    return read_avx2(p, bytes);
  }
  *read = two_streams ? bytes / 2 / 256 * 256 * 2 : bytes / 512 * 512;
  return two_streams ? read_avx512_two(p, bytes) : read_avx512(p, bytes);
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
