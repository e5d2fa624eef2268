// The base-3 family's config (see templates/cpu/base3.h for what each knob does) and the packing
// of weights into its layout.
#pragma once
#include <string>

#include "runtime/isa.h"
#include "runtime/kernel_spec.h"
#include "runtime/packed_weights.h"
#include "templates/cpu/base3_layout.h"

namespace trine {

struct Base3Config {
  Isa isa = Isa::avx2;
  int r = 8, mb = 1, nt = 1, ku = 1, pf = 0, kb = 0, split = 0, dec = 1;

  std::string str() const;     // "r16.mb2.nt1.ku1.pf0.kb0.s0.d0"
  std::string symbol() const;  // extern "C" name of its instantiation
  base3::Layout layout() const;
  std::string layout_key() const;  // "base3/vb64/r16": equal keys, the same packed weights
  // Empty when the config is legal for its ISA, else why not (register budget, decode, ...).
  std::string violation() const;
  bool operator==(const Base3Config&) const = default;

  // Throws Error naming the text when it is not a well-formed, legal config.
  static Base3Config parse(Isa isa, const std::string& text);
};

// The config used where nothing was tuned.
Base3Config base3_default(Isa isa, Op op);

PackedWeights pack_base3(const TernaryMatrix& W, base3::Layout layout);

// Found by argument-dependent lookup wherever a harness packs for a kernel's layout type.
inline PackedWeights pack_weights(const TernaryMatrix& W, base3::Layout layout) { return pack_base3(W, layout); }

}  // namespace trine
