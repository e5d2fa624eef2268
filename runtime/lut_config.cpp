#include "runtime/lut_config.h"

#include <cstdio>

#include <fmt/format.h>

#include "runtime/error.h"

namespace trine {

std::string LutConfig::str() const {
  if (perm) return fmt::format("vpermb.r{}.mb{}.ts{}.tr{}.nt{}.pf{}.s{}", r, mb, ts, tr, nt, pf, split);
  return fmt::format("g{}.r{}.mb{}.kg{}.ts{}.tr{}.nt{}.pf{}.s{}", g, r, mb, kg, ts, tr, nt, pf, split);
}

std::string LutConfig::symbol() const {
  if (perm)
    return fmt::format("trine_lut_{}_vpermb_r{}_mb{}_ts{}_tr{}_nt{}_pf{}_s{}", isa_name(isa), r, mb, ts, tr, nt, pf,
                       split);
  return fmt::format("trine_lut_{}_g{}_r{}_mb{}_kg{}_ts{}_tr{}_nt{}_pf{}_s{}", isa_name(isa), g, r, mb, kg, ts, tr, nt,
                     pf, split);
}

lut::Layout LutConfig::layout() const { return lut::Layout{vector_bytes(isa), r, g, perm}; }

std::string LutConfig::layout_key() const {
  if (perm) return fmt::format("lut/vpermb/r{}", r);
  return fmt::format("lut/g{}/vb{}/r{}", g, vector_bytes(isa), r);
}

std::vector<std::string> LutConfig::extra_features() const {
  if (perm) return {"avx512vbmi"};
  return {};
}

namespace {

// The knobs both kinds of LUT kernel share.
std::string common_violation(const LutConfig& c) {
  if (c.mb < 1 || c.mb > 4) return fmt::format("mb={} outside 1..4", c.mb);
  if (c.nt < 1 || c.nt > 8) return fmt::format("nt={} outside 1..8", c.nt);
  if (c.tr < 0 || c.tr > 1024) return fmt::format("tr={} outside 0..1024", c.tr);
  if (c.pf < 0 || c.pf > 65536) return fmt::format("pf={} outside 0..65536", c.pf);
  if (c.split < 0 || c.split > 2) return fmt::format("s={} is not 0, 1 or 2", c.split);
  if (static_cast<int64_t>(32) * c.nt * c.ts > lut::kTableBudget)
    return fmt::format("ts={} with nt={} exceeds the {} KiB table budget", c.ts, c.nt, lut::kTableBudget / 1024);
  return "";
}

std::string perm_violation(const LutConfig& c) {
  if (c.isa != Isa::avx512vnni) return "vpermb kernels are avx512vnni only";
  if (c.g != 3) return fmt::format("g={}: vpermb kernels look up groups of 3", c.g);
  if (c.r != 32 && c.r != 64 && c.r != 128) return fmt::format("r={} must be 32, 64 or 128", c.r);
  if (c.ts < 0 || c.ts % 16 != 0) return fmt::format("ts={} must be 0 or a multiple of 16", c.ts);
  if (std::string why = common_violation(c); !why.empty()) return why;
  // int32 sums (low and high plane), plus the index and sign vectors live across a token tile.
  const int h = c.r / 32, live = c.nt * c.mb * 4 * h + (c.nt > 1 ? 4 * c.mb * h : 2) + 6;
  if (live > 32) return fmt::format("nt*mb={} with r={} needs {} vector registers of 32", c.nt * c.mb, c.r, live);
  return "";
}

}  // namespace

std::string LutConfig::violation() const {
  if (perm) return perm_violation(*this);
  if (isa == Isa::avxvnni) return "no LUT kernels for avxvnni (avx2, avx512vnni and neondot only)";
  const int vb = vector_bytes(isa);
  if (r != vb && r != 2 * vb) return fmt::format("r={} must be {} or {} (one or two index vectors)", r, vb, 2 * vb);
  if (g != 2 && g != 3) return fmt::format("g={} is not 2 or 3", g);
  // Entries reach 128 * g (activations are int8): kg of them must fit an int16.
  const int max_kg = g == 3 ? 84 : 124;
  if (kg < 4 || kg > max_kg || kg % 4 != 0)
    return fmt::format("kg={} must be a multiple of 4 in 4..{} ({} groups * {} fit an int16)", kg, max_kg, max_kg,
                       128 * g);
  if (ts < 0 || ts % kg != 0) return fmt::format("ts={} must be 0 or a multiple of kg={}", ts, kg);
  if (std::string why = common_violation(*this); !why.empty()) return why;
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
  if (text.rfind("vpermb.", 0) == 0) {
    c.perm = true;
    c.kg = 0;
    if (std::sscanf(text.c_str(), "vpermb.r%d.mb%d.ts%d.tr%d.nt%d.pf%d.s%d%c", &c.r, &c.mb, &c.ts, &c.tr, &c.nt, &c.pf,
                    &c.split, &tail) != 7)
      throw Error(fmt::format("LUT config '{}': expected vpermb.r<R>.mb<MB>.ts<TS>.tr<TR>.nt<NT>.pf<PF>.s<S>", text));
  } else if (std::sscanf(text.c_str(), "g%d.r%d.mb%d.kg%d.ts%d.tr%d.nt%d.pf%d.s%d%c", &c.g, &c.r, &c.mb, &c.kg, &c.ts,
                         &c.tr, &c.nt, &c.pf, &c.split, &tail) != 9) {
    throw Error(fmt::format(
        "LUT config '{}': expected g<G>.r<R>.mb<MB>.kg<KG>.ts<TS>.tr<TR>.nt<NT>.pf<PF>.s<S> or vpermb.r<R>.mb<MB>.ts<TS>.tr<TR>.nt<NT>.pf<PF>.s<S>",
        text));
  }
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
