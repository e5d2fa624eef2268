// The LUT search space and its instantiation source.
#include <fmt/format.h>

#include "codegen/family.h"
#include "runtime/error.h"
#include "runtime/host.h"
#include "runtime/lut_config.h"

namespace trine::codegen {

namespace {

Candidate to_candidate(const LutConfig& c) { return Candidate{"lut", c.isa, c.str(), c.symbol(), c.layout_key()}; }

const char* traits_name(Isa isa) {
  switch (isa) {
    case Isa::avx512vnni: return "Avx512";
    case Isa::neondot: return "Neon";
    default: return "Avx2";
  }
}

// vpermb kernels: int32 sums, so no int16 tile depth to vary.
template <class Add>
void enumerate_perm(Op op, Add&& add) {
  auto perm = [](int r, int mb, int ts, int tr, int nt, int pf, int s) {
    LutConfig c{Isa::avx512vnni, r, mb, 0, ts, tr, nt, pf, s};
    c.perm = true;
    return c;
  };
  if (op == Op::gemv) {
    for (int r : {32, 64, 128})
      for (int mb : {1, 2, 3, 4})
        for (int pf : {512, 2048})
          for (int s : {0, 2})
            if (searched_block_count(mb, s)) add(perm(r, mb, 0, 0, 1, pf, s));
  } else {
    for (int r : {32, 64})
      for (int mb : {1, 2})
        for (int nt : {2, 4})
          for (int tr : {0, 4}) add(perm(r, mb, 0, tr, nt, 0, 0));
  }
}

// Decode GEMVs stream weights once: the space varies how indices pair (rows or groups), how many
// blocks share a table broadcast, prefetch and the thread split, with each table built once.
// Prefill GEMMs reuse weights across tokens: it varies the token tile, the table segment (L1 or
// the whole K) and how many row groups share a segment before the next is built.
std::vector<LutConfig> enumerate(Isa isa, Op op) {
  const int vb = vector_bytes(isa);
  std::vector<LutConfig> out;
  auto add = [&](LutConfig c) {
    if (c.violation().empty()) out.push_back(c);
  };
  if (op == Op::gemv) {
    for (int r : {vb, 2 * vb})
      for (int mb : {1, 2, 3, 4})
        for (int pf : {0, 512, 2048})
          for (int s : {0, 1, 2})
            if (searched_block_count(mb, s)) add(LutConfig{isa, r, mb, 84, 0, 0, 1, pf, s});
    for (int r : {vb, 2 * vb})
      for (int kg : {32, 64}) add(LutConfig{isa, r, 1, kg, 0, 0, 1, 0, 0});
    for (int r : {vb, 2 * vb}) add(LutConfig{isa, r, 1, 84, 336, 0, 1, 0, 0});
    // Pairs of weights: 2 bits per weight, but no signs to apply and deeper int16 runs.
    for (int r : {vb, 2 * vb})
      for (int mb : {1, 2, 4})
        for (int s : {0, 2}) add(LutConfig{isa, r, mb, 124, 0, 0, 1, 512, s, 2});
  } else {
    for (int r : {vb, 2 * vb})
      for (int mb : {1, 2})
        for (int nt : {2, 4, 8})
          for (int ts : {0, 252})
            for (int tr : {0, 4}) add(LutConfig{isa, r, mb, 84, ts, tr, nt, 0, 0});
    for (int r : {vb, 2 * vb})
      for (int mb : {1, 2})
        for (int nt : {2, 4}) add(LutConfig{isa, r, mb, 124, 0, 0, nt, 0, 0, 2});
  }
  if (isa == Isa::avx512vnni && host_info().has("avx512vbmi")) enumerate_perm(op, add);
  return out;
}

class LutFamily final : public Family {
 public:
  std::string name() const override { return "lut"; }
  bool supports(Isa isa) const override { return isa != Isa::avxvnni; }
  double nominal_bits_per_weight() const override { return 5.0 / 3.0; }  // g = 3; g = 2 is 2.0

  std::vector<Candidate> space(Isa isa, Op op) const override {
    std::vector<Candidate> out;
    if (!supports(isa)) return out;
    for (const LutConfig& c : enumerate(isa, op)) out.push_back(to_candidate(c));
    return out;
  }

  Candidate default_candidate(Isa isa, Op op) const override {
    if (!supports(isa)) throw Error(fmt::format("LUT family has no kernels for {}", isa_name(isa)));
    return to_candidate(lut_default(isa, op));
  }

  Candidate candidate(Isa isa, const std::string& config) const override {
    return to_candidate(LutConfig::parse(isa, config));
  }

  Candidate default_for_layout(const Candidate& owner, Op op) const override {
    LutConfig c = lut_default(owner.isa, op);
    const LutConfig o = LutConfig::parse(owner.isa, owner.config);
    if (o.perm) {
      c.perm = true;
      c.kg = 0;
    }
    c.r = o.r;
    c.g = o.g;
    if (c.g == 2) c.kg = 124;
    // The default's token tile may need more registers with the owner's wider blocks.
    while (!c.violation().empty() && c.nt > 1) --c.nt;
    while (!c.violation().empty() && c.mb > 1) --c.mb;
    return to_candidate(c);
  }

  std::string source(const std::vector<Candidate>& cands) const override {
    std::string src = "#include \"templates/cpu/lut_perm.h\"\n\n";
    for (const Candidate& cand : cands) {
      const LutConfig c = LutConfig::parse(cand.isa, cand.config);
      if (c.perm) {
        src += fmt::format(
            "extern \"C\" void {}(const trine_gemm_args* a, int32_t tid, int32_t n) {{\n"
            "  trine::lut::PermKernel<{}, {}, {}, {}, {}, {}, {}>::run(a, tid, n);\n}}\n",
            cand.symbol, c.r, c.mb, c.ts, c.tr, c.nt, c.pf, c.split);
        continue;
      }
      src += fmt::format(
          "extern \"C\" void {}(const trine_gemm_args* a, int32_t tid, int32_t n) {{\n"
          "  trine::lut::Kernel<trine::lut::{}, {}, {}, {}, {}, {}, {}, {}, {}, {}>::run(a, tid, n);\n}}\n",
          cand.symbol, traits_name(c.isa), c.g, c.r, c.mb, c.kg, c.ts, c.tr, c.nt, c.pf, c.split);
    }
    return src;
  }

  std::vector<jit::SourceFile> headers() const override { return embedded_headers(); }

  PackedWeights pack(const Candidate& cand, const TernaryMatrix& W) const override {
    return pack_lut(W, LutConfig::parse(cand.isa, cand.config).layout());
  }

  int64_t packed_bytes(const Candidate& cand, int M, int K) const override {
    return LutConfig::parse(cand.isa, cand.config).layout().packed_bytes(M, K);
  }
};

}  // namespace

const Family& lut_family() {
  static const LutFamily f;
  return f;
}

}  // namespace trine::codegen
