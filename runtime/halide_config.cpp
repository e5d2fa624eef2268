#include "runtime/halide_config.h"

#include <cstdio>

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine {

bool halide_supports(Isa isa) { return isa == Isa::avx512vnni || isa == Isa::avx2; }

std::string HalideConfig::str() const { return fmt::format("v{}.r{}.nb{}.nt{}.ku{}.pf{}.g{}", v, r, nb, nt, ku, pf, g); }

std::string HalideConfig::symbol() const {
  return fmt::format("trine_halide_{}_v{}_r{}_nb{}_nt{}_ku{}_pf{}_g{}", isa_name(isa), v, r, nb, nt, ku, pf, g);
}

mad::Layout HalideConfig::layout() const { return mad::Layout{v, r}; }

std::string HalideConfig::layout_key() const { return fmt::format("mad/vb{}/r{}", v, r); }

std::string HalideConfig::violation() const {
  if (!halide_supports(isa)) return fmt::format("no {} kernels (only avx512vnni and avx2)", isa_name(isa));
  const int want = isa == Isa::avx512vnni ? 64 : 32;
  if (v != want) return fmt::format("v={} is not the {} vector width {}", v, isa_name(isa), want);
  // Narrower blocks give a lane several rows' k, whose activations Halide 14 gathers (~100x slower).
  if (r != v / 4) return fmt::format("r={} must be v/4 = {} (one lane per row)", r, v / 4);
  if (nb < 1 || nb > 8) return fmt::format("nb={} outside 1..8", nb);
  if (nt < 1 || nt > 16) return fmt::format("nt={} outside 1..16", nt);
  if (ku < 1 || ku > 4) return fmt::format("ku={} outside 1..4", ku);
  if (pf < 0 || pf > 65536) return fmt::format("pf={} outside 0..65536", pf);
  if (g < 0 || g > 256) return fmt::format("g={} outside 0..256", g);
  const int regs = isa == Isa::avx512vnni ? 32 : 16;
  if (nb * nt + 6 > regs) return fmt::format("nb*nt={} needs {} vector registers of {}", nb * nt, nb * nt + 6, regs);
  return "";
}

HalideConfig HalideConfig::parse(Isa isa, const std::string& text) {
  HalideConfig c;
  c.isa = isa;
  char tail = 0;
  const int got =
      std::sscanf(text.c_str(), "v%d.r%d.nb%d.nt%d.ku%d.pf%d.g%d%c", &c.v, &c.r, &c.nb, &c.nt, &c.ku, &c.pf, &c.g, &tail);
  if (got != 7)
    throw Error(fmt::format("Halide config '{}': expected v<V>.r<R>.nb<NB>.nt<NT>.ku<KU>.pf<PF>.g<G>", text));
  if (std::string why = c.violation(); !why.empty())
    throw Error(fmt::format("Halide config '{}' for {}: {}", text, isa_name(isa), why));
  return c;
}

HalideConfig halide_default(Isa isa, Op op) {
  HalideConfig c;
  c.isa = isa;
  c.v = isa == Isa::avx512vnni ? 64 : 32;
  c.r = c.v / 4;
  // Decode: 4 blocks in flight hide vpdpbusd latency (1 block is 3.5x slower on Zen 4);
  // prefill: 2 blocks x 4 tokens.
  c.nb = op == Op::gemv ? 4 : 2;
  c.nt = op == Op::gemv ? 1 : (isa == Isa::avx512vnni ? 4 : 2);
  c.ku = op == Op::gemv && isa == Isa::avx512vnni ? 2 : 1;
  c.pf = 0;
  c.g = 0;
  return c;
}

}  // namespace trine
