// The base-3 search space and its instantiation source.
#include <fmt/format.h>

#include "codegen/family.h"
#include "runtime/base3_config.h"
#include "runtime/error.h"

namespace trine::codegen {

namespace {

Candidate to_candidate(const Base3Config& c) {
  return Candidate{"base3", c.isa, c.str(), c.symbol(), c.layout_key()};
}

const char* traits_name(Isa isa) {
  switch (isa) {
    case Isa::avx2: return "Avx2";
    case Isa::avxvnni: return "AvxVnni";
    case Isa::avx512vnni: return "Avx512Vnni";
    case Isa::neondot: break;
  }
  throw Error(fmt::format("the base-3 family has no kernels for {}", isa_name(isa)));
}

void require_supported(Isa isa) {
  if (isa == Isa::neondot) throw Error(fmt::format("the base-3 family has no kernels for {}", isa_name(isa)));
}

// Decode GEMVs are bound by decode work on the streamed weights: the space varies the decode, how
// rows interleave and how streams are prefetched. Prefill GEMMs reuse each decoded vector across a
// token tile: it varies register tiles, K blocks and the decode.
std::vector<Base3Config> enumerate(Isa isa, Op op) {
  const int lanes = vector_bytes(isa) / 4;
  std::vector<int> rs, mbs{1, 2}, nts, kus, pfs, kbs, splits, decs{1};
  if (isa != Isa::avx2) decs.insert(decs.begin(), 0);
  for (int r : {4, 8, 16})
    if (r <= lanes && (op == Op::gemv || r >= 8)) rs.push_back(r);
  if (op == Op::gemv) {
    nts = {1}; pfs = {0, 1024}; kbs = {0}; splits = {0, 2};
    kus = isa == Isa::avx2 ? std::vector<int>{1, 2, 4} : std::vector<int>{1, 2};
  } else {
    // 16 ymm registers hold smaller token tiles than 32 zmm.
    nts = lanes == 16 ? std::vector<int>{4, 8, 12} : std::vector<int>{2, 4, 8};
    pfs = {0}; kbs = {0, 1024}; splits = {0};
    kus = isa == Isa::avx2 ? std::vector<int>{1, 2} : std::vector<int>{1};
  }
  std::vector<Base3Config> out;
  for (int r : rs) for (int mb : mbs) for (int nt : nts) for (int ku : kus) for (int pf : pfs)
    for (int kb : kbs) for (int s : splits) for (int d : decs) {
      Base3Config c{isa, r, mb, nt, ku, pf, kb, s, d};
      if (c.violation().empty()) out.push_back(c);
    }
  return out;
}

class Base3Family final : public Family {
 public:
  std::string name() const override { return "base3"; }
  bool supports(Isa isa) const override { return isa != Isa::neondot; }
  double nominal_bits_per_weight() const override { return 1.6; }

  std::vector<Candidate> space(Isa isa, Op op) const override {
    std::vector<Candidate> out;
    if (!supports(isa)) return out;
    for (const Base3Config& c : enumerate(isa, op)) out.push_back(to_candidate(c));
    return out;
  }

  Candidate default_candidate(Isa isa, Op op) const override {
    require_supported(isa);
    return to_candidate(base3_default(isa, op));
  }

  Candidate candidate(Isa isa, const std::string& config) const override {
    return to_candidate(Base3Config::parse(isa, config));
  }

  Candidate default_for_layout(const Candidate& owner, Op op) const override {
    Base3Config c = base3_default(owner.isa, op);
    c.r = Base3Config::parse(owner.isa, owner.config).r;
    // A narrower block than the default may need a smaller tile to stay legal.
    while (!c.violation().empty() && c.nt > 1) c.nt /= 2;
    return to_candidate(c);
  }

  std::string source(const std::vector<Candidate>& cands) const override {
    std::string src = "#include \"templates/cpu/base3.h\"\n\n";
    for (const Candidate& cand : cands) {
      const Base3Config c = Base3Config::parse(cand.isa, cand.config);
      src += fmt::format(
          "extern \"C\" void {}(const trine_gemm_args* a, int32_t tid, int32_t n) {{\n"
          "  trine::base3::Kernel<trine::base3::{}, {}, {}, {}, {}, {}, {}, {}, {}>::run(a, tid, n);\n}}\n",
          cand.symbol, traits_name(c.isa), c.r, c.mb, c.nt, c.ku, c.pf, c.kb, c.split, c.dec);
    }
    return src;
  }

  std::vector<jit::SourceFile> headers() const override { return embedded_headers(); }

  PackedWeights pack(const Candidate& cand, const TernaryMatrix& W) const override {
    return pack_base3(W, Base3Config::parse(cand.isa, cand.config).layout());
  }
};

}  // namespace

const Family& base3_family() {
  static const Base3Family f;
  return f;
}

}  // namespace trine::codegen
