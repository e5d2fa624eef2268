// The Halide pipeline of the Halide family, kept behind a small interface: this and
// halide_pipeline.cpp are the only places that see Halide.h (a huge header).
#pragma once
#include <string>

namespace trine::codegen::halide {

// What the Halide compiler needs from a config (the wrapper-only knobs stay out, so configs
// differing only in them share one compiled pipeline).
struct PipelineSpec {
  int vb = 64;       // vector bytes of the packed layout (mad::Layout vb)
  int r = 16;        // rows per block (mad::Layout r)
  int nb = 1;        // blocks per row tile (accumulators per token)
  int nt = 1;        // tokens per tile
  int ku = 1;        // unroll of the K-chunk loop
  int pf = 0;        // prefetch distance of the weight streams in bytes (0: none)
  bool avx512 = true;  // false: AVX2 only
  bool vnni = false;   // Halide's AVX512_SapphireRapids feature (vpdpbusd)
  std::string key() const;  // "vb64.r16.nb1.nt1.ku1.pf0.avx512" (+".vnni")
};

// The raw Halide entry point:
//   int fn(halide_buffer_t* w, halide_buffer_t* q, halide_buffer_t* qsum, halide_buffer_t* scale,
//          int32_t nblocks, halide_buffer_t* y)
// w is (VB bytes of a chunk, chunk, block) u8; q (k, n) i8; qsum (n) i32; scale (n) f32;
// y (m, n) f32 with m starting at 0 at the first row of w's first block.
// nblocks: blocks readable from w (reads beyond a row tile's last real block are clamped to it).
using RawFn = int (*)(void* w, void* q, void* qsum, void* scale, int nblocks, void* y);

// Compiles with Halide's own JIT; the code lives for the rest of the process. Throws
// trine::Error with Halide's message when it fails.
RawFn compile(const PipelineSpec& spec);
// The assembly Halide emits for the spec (for tests: which instructions it uses).
std::string assembly(const PipelineSpec& spec);
// Halide's version, for cache keys and reports.
std::string halide_version();

}  // namespace trine::codegen::halide
