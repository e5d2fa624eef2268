// The architecture-specific inner loops of the roofline probes (probe_loops_x86.cpp,
// probe_loops_arm.cpp); roofline.cpp times them on every thread.
#pragma once
#include <cstddef>
#include <cstdint>

#include "runtime/isa.h"

namespace trine::bench {

extern const char* const kProbeArch;  // "x86", "aarch64"

// Stream counts read_pass supports: one to four far-apart parts of the range read at once.
// The roofline and the call reads try each and keep the fastest.
inline constexpr int kReadStreams[4] = {1, 2, 3, 4};
inline bool valid_read_streams(int streams) {
  for (int s : kReadStreams)
    if (s == streams) return true;
  return false;
}

// Streams `bytes` at p with the widest loads the host has, as `streams` far-apart parts read side
// by side (the whole lines left over after them read last), and returns a value folded from every
// load, so none can be dropped; *read is how many bytes that was: every whole 64-byte line.
uint64_t read_pass(const uint8_t* p, std::size_t bytes, int streams, std::size_t* read);

// Whether this build has a multiply-add loop for the ISA.
bool has_int8_peak_loop(Isa isa);
// `iters` iterations of independent int8 multiply-add chains; returns the MACs per iteration.
long int8_peak_loop(Isa isa, long iters);

}  // namespace trine::bench
