#include "runtime/lut_config.h"

#include <cstdio>

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine {

namespace {

// Must match Kernel::kTableBudget in templates/cpu/lut.h: the tables of NT tokens on the stack.
constexpr int kTableBudget = 256 * 1024;

}  // namespace

std::string LutConfig::str() const {
  return fmt::format("g{}.r{}.mb{}.kg{}.ts{}.tr{}.nt{}.pf{}.s{}", g, r, mb, kg, ts, tr, nt, pf, split);
}

std::string LutConfig::symbol() const {
  return fmt::format("trine_lut_{}_g{}_r{}_mb{}_kg{}_ts{}_tr{}_nt{}_pf{}_s{}", isa_name(isa), g, r, mb, kg, ts, tr, nt,
                     pf, split);
}

lut::Layout LutConfig::layout() const { return lut::Layout{vector_bytes(isa), r, g}; }

std::string LutConfig::layout_key() const { return fmt::format("lut/g{}/vb{}/r{}", g, vector_bytes(isa), r); }

std::string LutConfig::violation() const {
  if (isa == Isa::avxvnni) return "no LUT kernels for avxvnni (avx2, avx512vnni and neondot only)";
  const int vb = vector_bytes(isa);
  if (r != vb && r != 2 * vb) return fmt::format("r={} must be {} or {} (one or two index vectors)", r, vb, 2 * vb);
  if (g != 2 && g != 3) return fmt::format("g={} is not 2 or 3", g);
  if (mb < 1 || mb > 4) return fmt::format("mb={} outside 1..4", mb);
  // Entries reach 128 * g (activations are int8): kg of them must fit an int16.
  const int max_kg = g == 3 ? 84 : 124;
  if (kg < 4 || kg > max_kg || kg % 4 != 0)
    return fmt::format("kg={} must be a multiple of 4 in 4..{} ({} groups * {} fit an int16)", kg, max_kg, max_kg,
                       128 * g);
  if (nt < 1 || nt > 8) return fmt::format("nt={} outside 1..8", nt);
  if (ts < 0 || ts % kg != 0) return fmt::format("ts={} must be 0 or a multiple of kg={}", ts, kg);
  if (static_cast<int64_t>(32) * nt * ts > kTableBudget)
    return fmt::format("ts={} with nt={} exceeds the {} KiB table budget", ts, nt, kTableBudget / 1024);
  if (tr < 0 || tr > 1024) return fmt::format("tr={} outside 0..1024", tr);
  if (pf < 0 || pf > 65536) return fmt::format("pf={} outside 0..65536", pf);
  if (split < 0 || split > 2) return fmt::format("s={} is not 0, 1 or 2", split);
  // int16 accumulators, plus two tables, two index vectors, a lookup pair and a constant.
  const int regs = isa == Isa::avx2 ? 16 : 32;
  const int live = nt * mb * 2 * (r / vb) + 7;
  if (live > regs) return fmt::format("nt*mb={} with r={} needs {} vector registers of {}", nt * mb, r, live, regs);
  return "";
}

LutConfig LutConfig::parse(Isa isa, const std::string& text) {
  LutConfig c;
  c.isa = isa;
  char tail = 0;
  const int got = std::sscanf(text.c_str(), "g%d.r%d.mb%d.kg%d.ts%d.tr%d.nt%d.pf%d.s%d%c", &c.g, &c.r, &c.mb, &c.kg,
                              &c.ts, &c.tr, &c.nt, &c.pf, &c.split, &tail);
  if (got != 9)
    throw Error(
        fmt::format("LUT config '{}': expected g<G>.r<R>.mb<MB>.kg<KG>.ts<TS>.tr<TR>.nt<NT>.pf<PF>.s<S>", text));
  if (std::string why = c.violation(); !why.empty())
    throw Error(fmt::format("LUT config '{}' for {}: {}", text, isa_name(isa), why));
  return c;
}

LutConfig lut_default(Isa isa, Op op) {
  LutConfig c;
  c.isa = isa == Isa::avxvnni ? Isa::avx2 : isa;
  const int vb = vector_bytes(c.isa);
  // From timing the 2B4T decode shapes on Zen 4: row-paired indices (one table broadcast per 2vb
  // rows), the deepest int16 tile, and for decode two far-apart block streams with prefetch,
  // which beat one stream whether the weights come from cache or DRAM.
  c.r = 2 * vb;
  c.kg = 84;
  const bool gemv = op == Op::gemv;
  c.mb = gemv && c.isa != Isa::avx2 ? 2 : 1;
  c.nt = gemv ? 1 : (c.isa == Isa::avx2 ? 2 : 4);
  c.pf = gemv ? 512 : 0;
  c.split = gemv ? 2 : 0;
  return c;
}

PackedWeights pack_lut(const TernaryMatrix& W, lut::Layout layout) {
  PackedWeights p;
  p.M = W.M;
  p.K = W.K;
  p.wscale = W.wscale;
  p.bytes.resize(static_cast<std::size_t>(layout.packed_bytes(W.M, W.K)));
  lut::pack(W.w.data(), W.M, W.K, layout, p.bytes.data());
  return p;
}

}  // namespace trine
