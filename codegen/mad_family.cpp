// The MAD search space and its instantiation source.
#include <fmt/format.h>

#include "codegen/family.h"
#include "runtime/embedded_files.h"
#include "runtime/error.h"

namespace trine::codegen {

namespace {

Candidate to_candidate(const MadConfig& c) {
  return Candidate{"mad", c.isa, c.str(), c.symbol(), c.layout_key()};
}

const char* traits_name(Isa isa) {
  switch (isa) {
    case Isa::avx2: return "Avx2";
    case Isa::avxvnni: return "AvxVnni";
    case Isa::avx512vnni: return "Avx512Vnni";
    case Isa::neondot: return "NeonDot";
  }
  return "";
}

// Decode GEMVs are bound by weight bytes: the space varies how rows interleave and how streams
// are prefetched. Prefill GEMMs are bound by multiply-adds: it varies register tiles and K blocks.
std::vector<MadConfig> enumerate(Isa isa, Op op) {
  const int lanes = vector_bytes(isa) / 4;
  std::vector<int> rs, mbs{1, 2, 4}, nts, kus, pfs, kbs, splits, decs{0};
  if (isa != Isa::avx2 && isa != Isa::neondot) decs.push_back(1);
  if (isa == Isa::neondot) {
    // Four lanes: every row split is cheap, and a whole-vector activation load (r = 1) costs no
    // more than a broadcast, so prefill keeps all three too.
    rs = {1, 2, 4};
  } else {
    for (int r : {1, 4, 8, 16})
      if (r <= lanes && (op == Op::gemv || r >= 8)) rs.push_back(r);
  }
  if (op == Op::gemv) {
    nts = {1}; kus = {1, 2}; pfs = {0, 512, 2048}; kbs = {0}; splits = {0, 1, 2};
  } else {
    nts = {4, 8, 12}; kus = {1}; pfs = {0}; kbs = {0, 1024}; splits = {0};
  }
  if (op == Op::gemv) mbs.push_back(3);
  std::vector<MadConfig> out;
  for (int r : rs) for (int mb : mbs) for (int nt : nts) for (int ku : kus) for (int pf : pfs)
    for (int kb : kbs) for (int s : splits) for (int d : decs) {
      MadConfig c{isa, r, mb, nt, ku, pf, kb, s, d};
      if (searched_block_count(mb, s) && c.violation().empty()) out.push_back(c);
    }
  return out;
}

class MadFamily final : public Family {
 public:
  std::string name() const override { return "mad"; }
  double nominal_bits_per_weight() const override { return 2.0; }

  std::vector<Candidate> space(Isa isa, Op op) const override {
    std::vector<Candidate> out;
    for (const MadConfig& c : enumerate(isa, op)) out.push_back(to_candidate(c));
    return out;
  }

  Candidate default_candidate(Isa isa, Op op) const override { return to_candidate(mad_default(isa, op)); }

  Candidate candidate(Isa isa, const std::string& config) const override {
    return to_candidate(MadConfig::parse(isa, config));
  }

  Candidate default_for_layout(const Candidate& owner, Op op) const override {
    MadConfig c = mad_default(owner.isa, op);
    c.r = MadConfig::parse(owner.isa, owner.config).r;
    return to_candidate(c);
  }

  std::string source(const std::vector<Candidate>& cands) const override {
    std::string src = "#include \"templates/cpu/mad.h\"\n\n";
    for (const Candidate& cand : cands) {
      const MadConfig c = MadConfig::parse(cand.isa, cand.config);
      src += fmt::format(
          "extern \"C\" void {}(const trine_gemm_args* a, int32_t tid, int32_t n) {{\n"
          "  trine::mad::Kernel<trine::mad::{}, {}, {}, {}, {}, {}, {}, {}, {}>::run(a, tid, n);\n}}\n",
          cand.symbol, traits_name(c.isa), c.r, c.mb, c.nt, c.ku, c.pf, c.kb, c.split, c.dec);
    }
    return src;
  }

  std::vector<jit::SourceFile> headers() const override { return embedded_headers(); }

  PackedWeights pack(const Candidate& cand, const TernaryMatrix& W) const override {
    return pack_mad(W, MadConfig::parse(cand.isa, cand.config).layout());
  }
};

}  // namespace

const Family& mad_family() {
  static const MadFamily f;
  return f;
}

}  // namespace trine::codegen
