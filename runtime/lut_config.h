// The LUT family's config: which kernel of templates/cpu/lut.h runs an op, as text stored in the
// tuning database, and the packing of weights it reads.
#pragma once
#include <string>
#include <vector>

#include "runtime/isa.h"
#include "runtime/kernel_spec.h"
#include "runtime/packed_weights.h"
#include "templates/cpu/lut_layout.h"

namespace trine {

// The LUT family's knobs (see templates/cpu/lut.h for what each one does). NEON (neondot)
// kernels are 16 bytes wide, with 32 vector registers as on AVX-512.
struct LutConfig {
  Isa isa = Isa::avx2;
  int r = 32, mb = 1, kg = 64, ts = 0, tr = 0, nt = 1, pf = 0, split = 0;
  int g = 3;  // weights per table index: 3 (with a sign bit) or 2
  // vpermb lookups of four groups at once with vpdpbusd sums (templates/cpu/lut_perm.h): g = 3,
  // avx512vnni hosts with AVX-512 VBMI, r of 32, 64 or 128, and no kg (int32 sums throughout).
  bool perm = false;

  std::string str() const;         // "g3.r64.mb1.kg84.ts0.tr0.nt1.pf0.s0" or "vpermb.r32.mb2.ts0.tr0.nt1.pf512.s2"
  std::string symbol() const;      // extern "C" name of its instantiation
  lut::Layout layout() const;      // packed-weight layout it reads
  std::string layout_key() const;  // equal keys: the same packed weights
  // Empty when the config is legal for its ISA, else why not.
  std::string violation() const;
  // Host features (host.h names) it needs beyond its ISA's.
  std::vector<std::string> extra_features() const;
  bool operator==(const LutConfig&) const = default;

  // Throws Error naming the text when it is not a well-formed, legal config.
  static LutConfig parse(Isa isa, const std::string& text);
};

// The config used where nothing was tuned.
LutConfig lut_default(Isa isa, Op op);

PackedWeights pack_lut(const TernaryMatrix& W, lut::Layout layout);
// Found by argument-dependent lookup where code is generic over the family's layout type.
inline PackedWeights pack_weights(const TernaryMatrix& W, lut::Layout layout) { return pack_lut(W, layout); }

}  // namespace trine
