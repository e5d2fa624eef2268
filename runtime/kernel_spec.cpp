#include "runtime/kernel_spec.h"

#include <cstdio>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/kernel_abi.h"

namespace trine {

const char* op_name(Op op) { return op == Op::gemv ? "gemv" : "gemm"; }
Op op_for_tokens(int N) { return N == 1 ? Op::gemv : Op::gemm; }

std::optional<Op> parse_op(std::string_view name) {
  if (name == "gemv") return Op::gemv;
  if (name == "gemm") return Op::gemm;
  return std::nullopt;
}

int vector_bytes(Isa isa) {
  switch (isa) {
    case Isa::avx512vnni: return 64;
    case Isa::neondot: return 16;
    case Isa::avx2:
    case Isa::avxvnni: return 32;
  }
  return 32;
}

std::string MadConfig::str() const {
  return fmt::format("r{}.mb{}.nt{}.ku{}.pf{}.kb{}.s{}.d{}", r, mb, nt, ku, pf, kb, split, dec);
}

std::string MadConfig::symbol() const {
  return fmt::format("trine_mad_{}_r{}_mb{}_nt{}_ku{}_pf{}_kb{}_s{}_d{}", isa_name(isa), r, mb, nt, ku, pf, kb, split,
                     dec);
}

mad::Layout MadConfig::layout() const { return mad::Layout{vector_bytes(isa), r}; }

std::string MadConfig::layout_key() const { return fmt::format("mad/vb{}/r{}", vector_bytes(isa), r); }

std::string MadConfig::violation() const {
  const int lanes = vector_bytes(isa) / 4;
  if (r < 1 || lanes % r != 0) return fmt::format("r={} must divide the {} lanes of a vector", r, lanes);
  if (mb < 1 || mb > 8) return fmt::format("mb={} outside 1..8", mb);
  if (nt < 1 || nt > 16) return fmt::format("nt={} outside 1..16", nt);
  if (ku < 1 || ku > 15) return fmt::format("ku={} outside 1..15 (int16 partial sums)", ku);
  if (pf < 0 || pf > 65536) return fmt::format("pf={} outside 0..65536", pf);
  if (kb < 0) return fmt::format("kb={} is negative", kb);
  if (split < 0 || split > 2) return fmt::format("s={} is not 0, 1 or 2", split);
  if (dec != 0 && dec != 1) return fmt::format("d={} is not 0 or 1", dec);
  if (dec == 1 && isa == Isa::avx2) return "d=1 (in-place decode) needs VNNI; AVX2 sums pairs in int16";
  if (dec == 1 && isa == Isa::neondot) return "d=1 (in-place decode) needs u8 codes; sdot reads code 2 << 6 as s8 -128";
  if (mb * lanes > TRINE_SCRATCH_PER_TOKEN) return fmt::format("mb={} exceeds the scratch per token", mb);
  // Accumulators (twice over on AVX2: int16 partials too; four per tile with in-place decode),
  // 4 decoded planes, a broadcast, a mask. AVX-512 and NEON have 32 vector registers.
  const int regs = isa == Isa::avx512vnni || isa == Isa::neondot ? 32 : 16;
  const int live = mb * nt * (isa == Isa::avx2 ? 2 : dec ? 4 : 1) + 6;
  if (live > regs) return fmt::format("mb*nt={} needs {} vector registers of {}", mb * nt, live, regs);
  return "";
}

MadConfig MadConfig::parse(Isa isa, const std::string& text) {
  MadConfig c;
  c.isa = isa;
  char tail = 0;
  const int got = std::sscanf(text.c_str(), "r%d.mb%d.nt%d.ku%d.pf%d.kb%d.s%d.d%d%c", &c.r, &c.mb, &c.nt, &c.ku,
                              &c.pf, &c.kb, &c.split, &c.dec, &tail);
  if (got != 8)
    throw Error(fmt::format("MAD config '{}': expected r<R>.mb<MB>.nt<NT>.ku<KU>.pf<PF>.kb<KB>.s<S>.d<D>", text));
  if (std::string why = c.violation(); !why.empty())
    throw Error(fmt::format("MAD config '{}' for {}: {}", text, isa_name(isa), why));
  return c;
}

MadConfig mad_default(Isa isa, Op op) {
  MadConfig c;
  c.isa = isa;
  const bool wide = isa == Isa::avx512vnni;
  // Chosen from tuning the 2B4T shapes on Zen 4: one interleaved block of full-width rows per
  // step; in-place decode for GEMVs where VNNI allows it, 4-token tiles for GEMMs.
  c.r = wide ? 16 : 8;
  c.mb = 1;
  c.nt = op == Op::gemv ? 1 : 4;
  c.ku = op == Op::gemv && isa == Isa::avx2 ? 4 : 1;
  c.dec = op == Op::gemv && isa != Isa::avx2 ? 1 : 0;
  if (isa == Isa::neondot) {
    // Untuned (no Arm host to time on): full-width rows, whose activations are 4-byte broadcasts
    // shared by two blocks; decode then has 2 blocks x 4 plane chains = 8 independent sdots in
    // flight, as sdot latency wants, and two chunks a step halve the loop overhead. Prefill:
    // 2 blocks x 4 tokens = 8 accumulators, a quarter of the register file.
    c.r = 4;
    c.mb = 2;
    c.ku = op == Op::gemv ? 2 : 1;
    c.dec = 0;
  }
  return c;
}

}  // namespace trine
