// Which kernel runs an op: family, ISA and the family's config text. Stored in the tuning
// database, parsed back by the runtime to pack weights and by codegen to instantiate the template.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "runtime/isa.h"
#include "templates/cpu/mad_layout.h"

namespace trine {

enum class Op { gemv, gemm };  // N = 1 decode, N > 1 prefill
const char* op_name(Op op);
std::optional<Op> parse_op(std::string_view name);  // "gemv" or "gemm"
Op op_for_tokens(int N);

// The MAD family's knobs (see templates/cpu/mad.h for what each one does).
struct MadConfig {
  Isa isa = Isa::avx2;
  int r = 8, mb = 1, nt = 1, ku = 1, pf = 0, kb = 0, split = 0, dec = 0;

  std::string str() const;     // "r16.mb2.nt1.ku2.pf0.kb0.s0.d1"
  std::string symbol() const;  // extern "C" name of its instantiation
  mad::Layout layout() const;  // packed-weight layout it reads
  std::string layout_key() const;  // equal keys: the same packed weights
  // Empty when the config is legal for its ISA, else why not (register budget, lane split, ...).
  std::string violation() const;
  bool operator==(const MadConfig&) const = default;

  // Throws Error naming the text when it is not a well-formed, legal config.
  static MadConfig parse(Isa isa, const std::string& text);
};

int vector_bytes(Isa isa);

// The config used where nothing was tuned: good on every shape, best on none.
MadConfig mad_default(Isa isa, Op op);

}  // namespace trine
