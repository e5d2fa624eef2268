// The roofline's probe loops for aarch64: 128-bit load streams and sdot chains.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "bench/probe_loops.h"

namespace trine::bench {

const char* const kProbeArch = "aarch64";

namespace {

// Eight independent accumulators (128 bytes a step) keep the loads, not the XORs, the limit;
// two streams interleave two far-apart halves.
uint64_t read_neon(const uint8_t* p, std::size_t bytes, bool two_streams, std::size_t* read) {
  uint8x16_t acc[8];
  for (auto& a : acc) a = vdupq_n_u8(0);
  if (two_streams) {
    const std::size_t half = bytes / 2 / 64 * 64;
    for (std::size_t i = 0; i + 64 <= half; i += 64)
      for (int j = 0; j < 4; ++j) {
        acc[j] = veorq_u8(acc[j], vld1q_u8(p + i + 16 * j));
        acc[4 + j] = veorq_u8(acc[4 + j], vld1q_u8(p + half + i + 16 * j));
      }
    *read = 2 * half;
  } else {
    for (std::size_t i = 0; i + 128 <= bytes; i += 128)
      for (int j = 0; j < 8; ++j) acc[j] = veorq_u8(acc[j], vld1q_u8(p + i + 16 * j));
    *read = bytes / 128 * 128;
  }
  for (int j = 1; j < 8; ++j) acc[0] = veorq_u8(acc[0], acc[j]);
  const uint64x2_t v = vreinterpretq_u64_u8(acc[0]);
  return vgetq_lane_u64(v, 0) ^ vgetq_lane_u64(v, 1);
}

// In assembly, as on x86: twelve independent sdot chains (16 MACs each) cover its latency.
#define TRINE_X12(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)
#define TRINE_SDOT(i) "sdot v" #i ".4s, v12.16b, v13.16b\n\t"
#define TRINE_ZERO(i) "movi v" #i ".16b, #0\n\t"
long peak_sdot(long n) {
  __asm__ volatile(".arch armv8.2-a+dotprod\n\t" TRINE_X12(TRINE_ZERO) TRINE_ZERO(12) TRINE_ZERO(13)
                   "1:\n\t" TRINE_X12(TRINE_SDOT) "subs %0, %0, #1\n\tb.ne 1b"
                   : "+r"(n)
                   :
                   : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "cc");
  return 12L * 16;
}

}  // namespace

uint64_t read_pass(const uint8_t* p, std::size_t bytes, bool two_streams, std::size_t* read) {
  return read_neon(p, bytes, two_streams, read);
}

bool has_int8_peak_loop(Isa isa) { return isa == Isa::neondot; }

long int8_peak_loop(Isa isa, long iters) { return isa == Isa::neondot ? peak_sdot(iters) : 0; }

}  // namespace trine::bench

#endif
