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
// what they reach. The loop reads one 64-byte line per step, its prefetch beside it: the same loads
// unrolled eight to a step (eight accumulators) read 30.8-34 GB/s on the development VM, this form
// 36.6-37.4 GB/s (2 threads, 2 GiB, alternating), and the roofline must be the higher.
inline void prefetch_ahead(const uint8_t* p) { _mm_prefetch(reinterpret_cast<const char*>(p) + 2048, _MM_HINT_T0); }

__attribute__((target("avx512f"))) uint64_t read_avx512(const uint8_t* p, std::size_t bytes) {
  __m512i acc = _mm512_setzero_si512();
  for (std::size_t i = 0; i + 64 <= bytes; i += 64) {
    prefetch_ahead(p + i);
    acc = _mm512_xor_si512(acc, _mm512_load_si512(p + i));
  }
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(acc));
}

// The same from two far-apart halves at once: some memory systems serve two streams per core
// faster than one, and the roofline must not sit below what a kernel can reach.
__attribute__((target("avx512f"))) uint64_t read_avx512_two(const uint8_t* p, std::size_t bytes) {
  __m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
  const std::size_t half = bytes / 2 / 256 * 256;
  for (std::size_t i = 0; i + 64 <= half; i += 64) {
    prefetch_ahead(p + i);
    prefetch_ahead(p + half + i);
    a = _mm512_xor_si512(a, _mm512_load_si512(p + i));
    b = _mm512_xor_si512(b, _mm512_load_si512(p + half + i));
  }
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(_mm512_xor_si512(a, b)));
}

__attribute__((target("avx2"))) uint64_t read_avx2(const uint8_t* p, std::size_t bytes) {
  __m256i acc = _mm256_setzero_si256();
  for (std::size_t i = 0; i + 64 <= bytes; i += 64) {
    prefetch_ahead(p + i);
    acc = _mm256_xor_si256(acc, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    acc = _mm256_xor_si256(acc, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
  }
  uint64_t out[4];
  std::memcpy(out, &acc, sizeof(out));
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
    *read = bytes / 64 * 64;
    return read_avx2(p, bytes);
  }
  *read = two_streams ? bytes / 2 / 256 * 256 * 2 : bytes / 64 * 64;
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
