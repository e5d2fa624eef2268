// A kernel family as the tuner sees it: a search space of configs, the source that instantiates
// them (or, for Halide, its own compiler), and the packing of weights each config reads. MAD,
// base-3, LUT and Halide plug in behind the same interface.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "jit/jit.h"
#include "runtime/kernel_abi.h"
#include "runtime/kernel_spec.h"
#include "runtime/packed_weights.h"
#include "runtime/registry.h"

namespace trine::codegen {

// Decode spaces search three row blocks per step only walked as far-apart streams (split 2): three
// streams per thread start a short read faster than two or four (a plain 400 KiB read over 2
// threads: 11.8-12.0 us with three, 12.9 with two, 13.6-13.7 with four), while three blocks in
// one stream add nothing the 2- and 4-block configs lack.
inline bool searched_block_count(int mb, int split) { return mb != 3 || split == 2; }

struct Candidate {
  std::string family;      // "mad"
  Isa isa = Isa::avx2;
  std::string config;      // the family's config text
  std::string symbol;      // extern "C" entry point
  std::string layout_key;  // candidates with equal keys read identical packed weights
  bool operator==(const Candidate& o) const { return symbol == o.symbol; }
};

class Family {
 public:
  virtual ~Family() = default;
  virtual std::string name() const = 0;
  // Whether the family has kernels for this ISA at all (the tuner skips it where not).
  virtual bool supports(Isa isa) const { return true; }
  // Bits of packed weight storage per ternary weight, padding aside (2 for MAD, 1.6 for base-3).
  virtual double nominal_bits_per_weight() const = 0;
  // Every legal config for the ISA and op, in a fixed order (batches, and so cache keys, repeat).
  virtual std::vector<Candidate> space(Isa isa, Op op) const = 0;
  virtual Candidate default_candidate(Isa isa, Op op) const = 0;
  virtual Candidate candidate(Isa isa, const std::string& config) const = 0;  // throws Error
  // The default config for op that reads the same packed layout as `owner`, so one packed copy
  // of a weight serves both decode and prefill.
  virtual Candidate default_for_layout(const Candidate& owner, Op op) const = 0;
  // One translation unit defining every candidate's symbol.
  virtual std::string source(const std::vector<Candidate>& cands) const = 0;
  virtual std::vector<jit::SourceFile> headers() const = 0;
  // A family with a compiler of its own (Halide) returns true, and KernelCompiler calls
  // compile_native instead of compiling source() through clang.
  virtual bool compiles_natively() const { return false; }
  struct Native {
    trine_gemm_fn fn = nullptr;
    std::string error;  // why it failed to compile, when fn is null
  };
  // One entry per candidate, in order; never throws for a candidate that fails. The family's
  // objects go through `jit` (its on-disk cache and counters).
  virtual std::vector<Native> compile_native(jit::Jit& jit, const std::vector<Candidate>& cands) const { return {}; }
  // Objects an AOT tree links beside source(cands) (Halide's pipelines): file name and ELF bytes.
  struct ObjectFile {
    std::string name, bytes;
  };
  virtual std::vector<ObjectFile> aot_objects(const std::vector<Candidate>& cands) const { return {}; }
  virtual PackedWeights pack(const Candidate& cand, const TernaryMatrix& W) const = 0;
  // Bytes pack() makes for an M x K matrix (what a decode GEMV streams per call).
  virtual int64_t packed_bytes(const Candidate& cand, int M, int K) const {
    return kernel_packed_bytes(cand.family, cand.isa, cand.config, M, K);
  }
};

const Family& mad_family();
const Family& base3_family();  // codegen/base3_family.cpp
const Family& lut_family();    // codegen/lut_family.cpp
const Family& halide_family(); // codegen/halide_family.cpp
const std::vector<const Family*>& all_families();
const Family& family_by_name(const std::string& name);  // throws Error

// The embedded template sources, as the JIT sees them.
std::vector<jit::SourceFile> embedded_headers();

}  // namespace trine::codegen
