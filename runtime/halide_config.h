// The Halide family's config: the schedule knobs of the Halide pipeline (codegen/halide_*.cpp) as
// text stored in the tuning database, and the packed weights it reads. The pipeline reads MAD's
// 2-bit layout (templates/cpu/mad_layout.h) with full-width row blocks, so packing needs no Halide.
#pragma once
#include <string>

#include "runtime/isa.h"
#include "runtime/kernel_spec.h"
#include "runtime/packed_weights.h"
#include "templates/cpu/mad_layout.h"

namespace trine {

// v: vector bytes of the layout (64 on avx512vnni, 32 on avx2); r: rows per block, v / 4 (one
// 32-bit lane per row, so the activations of a lane are a 4-byte broadcast); nb: row blocks per
// tile (accumulators per token); nt: tokens per tile; ku: unroll of the K-chunk loop; pf: weight
// prefetch distance in bytes (Halide's prefetch directive, 0: none); g: parallel
// granularity, tiles handed out round-robin in chunks of g (0: one contiguous range per thread).
struct HalideConfig {
  Isa isa = Isa::avx2;
  int v = 32, r = 8, nb = 4, nt = 1, ku = 1, pf = 0, g = 0;

  std::string str() const;         // "v64.r16.nb4.nt1.ku2.pf0.g0"
  std::string symbol() const;      // a unique name for its compiled entry point
  mad::Layout layout() const;      // packed-weight layout it reads (MAD's)
  std::string layout_key() const;  // MAD's key: the same bytes as the MAD kernels of that layout
  // Empty when the config is legal for its ISA, else why not.
  std::string violation() const;
  bool operator==(const HalideConfig&) const = default;

  // Throws Error naming the text when it is not a well-formed, legal config.
  static HalideConfig parse(Isa isa, const std::string& text);
};

// Halide kernels exist for avx512vnni (vpdpbusd) and avx2.
bool halide_supports(Isa isa);
// The config used where nothing was tuned.
HalideConfig halide_default(Isa isa, Op op);

}  // namespace trine
