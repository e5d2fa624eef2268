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

// The name of the pipeline's entry point (templates/cpu/halide_glue.h's Pipeline): one per spec.
std::string function_name(const PipelineSpec& spec);
// Halide's target for the spec, as text: part of the object's cache key.
std::string target_string(const PipelineSpec& spec);
// The pipeline compiled by Halide into a relocatable ELF object defining function_name(spec). It
// carries no Halide runtime and references none (no asserts, no bounds queries, stack storage),
// so the JIT loads it as it is and an AOT tree links it with any toolchain. Throws trine::Error
// with Halide's message when it fails.
std::string object(const PipelineSpec& spec);
// The assembly Halide emits for the spec (for tests: which instructions it uses).
std::string assembly(const PipelineSpec& spec);
// Halide's version, for cache keys and reports.
std::string halide_version();

}  // namespace trine::codegen::halide
