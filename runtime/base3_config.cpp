#include "runtime/base3_config.h"

#include <cstdio>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/kernel_abi.h"

namespace trine {

namespace {

// Independent multiply-add chains per (block, token) sum, as base3.h's Kernel::Tile picks them.
int chains(Isa isa, int dec, int tiles) {
  if (isa == Isa::avx2) return 1;
  const int c = tiles >= 8 ? 1 : tiles >= 4 ? 2 : 4;
  return dec == 0 ? (c >= 2 ? c / 2 : 1) : c;
}

// Vector registers live in the inner loop: the sums and their chains, then the decode's own.
int live_registers(Isa isa, int dec, int tiles) {
  const int c = chains(isa, dec, tiles);
  if (dec == 0) return tiles * (2 * c + 1) + 3;  // A and B chains, the sum; x_p, x_{p+1}, a broadcast
  if (isa == Isa::avx2) return tiles * 2 + 6;    // int16 partials too; x, digit, broadcast, 3 constants
  return tiles * c + 6;                          // x, digit, broadcast, 3 byte constants
}

}  // namespace

std::string Base3Config::str() const {
  return fmt::format("r{}.mb{}.nt{}.ku{}.pf{}.kb{}.s{}.d{}", r, mb, nt, ku, pf, kb, split, dec);
}

std::string Base3Config::symbol() const {
  return fmt::format("trine_base3_{}_r{}_mb{}_nt{}_ku{}_pf{}_kb{}_s{}_d{}", isa_name(isa), r, mb, nt, ku, pf, kb,
                     split, dec);
}

base3::Layout Base3Config::layout() const { return base3::Layout{vector_bytes(isa), r}; }

std::string Base3Config::layout_key() const { return fmt::format("base3/vb{}/r{}", vector_bytes(isa), r); }

std::string Base3Config::violation() const {
  if (isa == Isa::neondot) return "the base-3 family has no neondot kernels";
  const int lanes = vector_bytes(isa) / 4;
  if (r < 1 || lanes % r != 0) return fmt::format("r={} must divide the {} lanes of a vector", r, lanes);
  if (mb < 1 || mb > 8) return fmt::format("mb={} outside 1..8", mb);
  if (nt < 1 || nt > 16) return fmt::format("nt={} outside 1..16", nt);
  const int max_ku = isa == Isa::avx2 ? 63 / base3::kPlanes : 16;
  if (ku < 1 || ku > max_ku)
    return fmt::format("ku={} outside 1..{}{}", ku, max_ku, isa == Isa::avx2 ? " (5 planes x ku <= 63 int16 sums)" : "");
  if (pf < 0 || pf > 65536) return fmt::format("pf={} outside 0..65536", pf);
  if (kb < 0) return fmt::format("kb={} is negative", kb);
  if (split < 0 || split > 2) return fmt::format("s={} is not 0, 1 or 2", split);
  if (dec != 0 && dec != 1) return fmt::format("d={} is not 0 (linear) or 1 (compare)", dec);
  if (dec == 0 && isa == Isa::avx2)
    return "d=0 (linear decode) needs VNNI: pmaddubsw pairs of 255 x 128 saturate int16";
  if (mb * lanes > TRINE_SCRATCH_PER_TOKEN) return fmt::format("mb={} exceeds the scratch per token", mb);
  const int regs = isa == Isa::avx512vnni ? 32 : 16;
  const int live = live_registers(isa, dec, mb * nt);
  if (live > regs) return fmt::format("mb*nt={} needs {} vector registers of {}", mb * nt, live, regs);
  return "";
}

Base3Config Base3Config::parse(Isa isa, const std::string& text) {
  Base3Config c;
  c.isa = isa;
  char tail = 0;
  const int got = std::sscanf(text.c_str(), "r%d.mb%d.nt%d.ku%d.pf%d.kb%d.s%d.d%d%c", &c.r, &c.mb, &c.nt, &c.ku,
                              &c.pf, &c.kb, &c.split, &c.dec, &tail);
  if (got != 8)
    throw Error(fmt::format("base-3 config '{}': expected r<R>.mb<MB>.nt<NT>.ku<KU>.pf<PF>.kb<KB>.s<S>.d<D>", text));
  if (std::string why = c.violation(); !why.empty())
    throw Error(fmt::format("base-3 config '{}' for {}: {}", text, isa_name(isa), why));
  return c;
}

Base3Config base3_default(Isa isa, Op op) {
  Base3Config c;
  c.isa = isa;
  const bool gemv = op == Op::gemv;
  // Timed on Zen 4 (2560x6912 and 640x2560 GEMVs streaming from DRAM, 2560x2560x32 GEMMs): a GEMV
  // is bound by decode work, and the linear decode does about 1.5x the bytes per cycle of the
  // compare decode, so it wins wherever VNNI allows it. A GEMM reuses each decoded vector for
  // every token of its tile, so there the compare decode's single multiply-add per plane wins,
  // with 8-token tiles on AVX-512. AVX-VNNI (not on that host) follows AVX-512's choices within
  // 16 registers; AVX2 has only the compare decode, and four chunks per step amortize its
  // int16 widening.
  c.r = isa == Isa::avx512vnni ? 16 : 8;
  c.mb = 1;
  c.nt = gemv ? 1 : isa == Isa::avx512vnni ? 8 : 4;
  c.ku = isa == Isa::avx2 ? (gemv ? 4 : 2) : 1;
  c.dec = gemv && isa != Isa::avx2 ? 0 : 1;
  return c;
}

PackedWeights pack_base3(const TernaryMatrix& W, base3::Layout layout) {
  PackedWeights p;
  p.M = W.M;
  p.K = W.K;
  p.wscale = W.wscale;
  p.bytes.resize(static_cast<std::size_t>(layout.packed_bytes(W.M, W.K)));
  base3::pack(W.w.data(), W.M, W.K, layout, p.bytes.data());
  return p;
}

}  // namespace trine
