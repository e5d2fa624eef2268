// The roofline's probe loops for aarch64: 128-bit load streams and sdot chains.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "bench/probe_loops.h"

namespace trine::bench {

const char* const kProbeArch = "aarch64";

namespace {

// Each step reads one 64-byte line of each of S far-apart parts, as the x86 probe does (the whole
// lines left after them are read last); eight independent accumulators keep the loads, not the
// XORs, the limit.
template <int S>
uint64_t read_neon(const uint8_t* p, std::size_t part, std::size_t lines_end) {
  uint8x16_t acc[8];
  for (auto& a : acc) a = vdupq_n_u8(0);
  for (std::size_t i = 0; i + 64 <= part; i += 64)
    for (int s = 0; s < S; ++s)
      for (int j = 0; j < 4; ++j) {
        uint8x16_t& a = acc[(4 * s + j) % 8];
        a = veorq_u8(a, vld1q_u8(p + s * part + i + 16 * j));
      }
  for (std::size_t i = S * part; i < lines_end; i += 64)
    for (int j = 0; j < 4; ++j) acc[j] = veorq_u8(acc[j], vld1q_u8(p + i + 16 * j));
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

uint64_t read_pass(const uint8_t* p, std::size_t bytes, int streams, std::size_t* read) {
  const std::size_t part = bytes / static_cast<std::size_t>(streams) / 64 * 64;
  *read = bytes / 64 * 64;
  switch (streams) {
    case 4: return read_neon<4>(p, part, *read);
    case 3: return read_neon<3>(p, part, *read);
    case 2: return read_neon<2>(p, part, *read);
    default: return read_neon<1>(p, part, *read);
  }
}

bool has_int8_peak_loop(Isa isa) { return isa == Isa::neondot; }

long int8_peak_loop(Isa isa, long iters) { return isa == Isa::neondot ? peak_sdot(iters) : 0; }

}  // namespace trine::bench

#endif
