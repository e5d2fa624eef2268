// The base-3 family as the tuner sees it: its search spaces, config texts and generated source.
// It needs the code generator, which only JIT builds link.
#ifdef TRINE_HAVE_JIT
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "codegen/family.h"
#include "runtime/base3_config.h"
#include "runtime/error.h"

namespace {

using trine::Base3Config;
using trine::Isa;
using trine::Op;
using trine::codegen::base3_family;

const Isa kIsas[] = {Isa::avx2, Isa::avxvnni, Isa::avx512vnni};

TEST(Base3Family, SpacesAreModerateLegalAndDistinct) {
  const auto& f = base3_family();
  EXPECT_EQ("base3", f.name());
  EXPECT_DOUBLE_EQ(1.6, f.nominal_bits_per_weight());
  EXPECT_FALSE(f.supports(Isa::neondot));
  EXPECT_TRUE(f.space(Isa::neondot, Op::gemv).empty());
  for (Isa isa : kIsas) {
    EXPECT_TRUE(f.supports(isa));
    for (Op op : {Op::gemv, Op::gemm}) {
      const auto space = f.space(isa, op);
      EXPECT_GE(space.size(), 12u) << trine::isa_name(isa) << " " << trine::op_name(op);
      EXPECT_LE(space.size(), 120u) << trine::isa_name(isa) << " " << trine::op_name(op);
      std::set<std::string> symbols;
      std::set<int> decs;
      for (const auto& c : space) {
        const Base3Config cfg = Base3Config::parse(isa, c.config);  // throws if illegal
        EXPECT_EQ(c.symbol, cfg.symbol());
        EXPECT_EQ(c.layout_key, cfg.layout_key());
        EXPECT_EQ("base3", c.family);
        if (op == Op::gemm) {
          EXPECT_GE(cfg.r, 8) << c.config;
        }
        decs.insert(cfg.dec);
        symbols.insert(c.symbol);
      }
      EXPECT_EQ(symbols.size(), space.size());
      EXPECT_EQ(isa == Isa::avx2 ? 1u : 2u, decs.size());
      // The default is legal and one of the candidates the tuner times.
      const auto def = f.default_candidate(isa, op);
      EXPECT_TRUE(symbols.count(def.symbol)) << def.config;
    }
  }
}

TEST(Base3Family, ConfigTextRoundTrips) {
  const Base3Config c = Base3Config::parse(Isa::avx512vnni, "r16.mb2.nt1.ku1.pf0.kb0.s0.d0");
  EXPECT_EQ("r16.mb2.nt1.ku1.pf0.kb0.s0.d0", c.str());
  EXPECT_EQ("trine_base3_avx512vnni_r16_mb2_nt1_ku1_pf0_kb0_s0_d0", c.symbol());
  EXPECT_EQ("base3/vb64/r16", c.layout_key());
  EXPECT_EQ(64, c.layout().vb);
  EXPECT_EQ(16, c.layout().r);
  for (Isa isa : kIsas)
    for (Op op : {Op::gemv, Op::gemm})
      for (const auto& cand : base3_family().space(isa, op))
        EXPECT_EQ(cand.config, Base3Config::parse(isa, cand.config).str());
  EXPECT_EQ("base3/vb32/r8", Base3Config::parse(Isa::avx2, "r8.mb1.nt1.ku4.pf0.kb0.s0.d1").layout_key());
}

void expect_rejected(Isa isa, const std::string& text, const std::string& why) {
  try {
    Base3Config::parse(isa, text);
    ADD_FAILURE() << text << " was accepted";
  } catch (const trine::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(text), std::string::npos) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << msg;
  }
}

TEST(Base3Family, BadConfigsAreRejected) {
  expect_rejected(Isa::avx512vnni, "r16.mb1", "expected r<R>");
  expect_rejected(Isa::avx512vnni, "r16.mb1.nt1.ku1.pf0.kb0.s0.d0x", "expected r<R>");
  expect_rejected(Isa::avx512vnni, "r3.mb1.nt1.ku1.pf0.kb0.s0.d0", "must divide the 16 lanes");
  expect_rejected(Isa::avx2, "r16.mb1.nt1.ku1.pf0.kb0.s0.d1", "must divide the 8 lanes");
  expect_rejected(Isa::avx2, "r8.mb1.nt1.ku1.pf0.kb0.s0.d0", "needs VNNI");
  expect_rejected(Isa::avx2, "r8.mb1.nt1.ku13.pf0.kb0.s0.d1", "ku=13");
  expect_rejected(Isa::neondot, "r4.mb1.nt1.ku1.pf0.kb0.s0.d1", "no neondot");
  expect_rejected(Isa::avxvnni, "r8.mb3.nt1.ku1.pf0.kb0.s0.d0", "vector registers");
  expect_rejected(Isa::avx512vnni, "r16.mb4.nt4.ku1.pf0.kb0.s0.d0", "vector registers");
  expect_rejected(Isa::avx512vnni, "r16.mb1.nt1.ku1.pf0.kb0.s3.d0", "s=3");
  expect_rejected(Isa::avx512vnni, "r16.mb1.nt1.ku1.pf0.kb0.s0.d2", "d=2");
  EXPECT_THROW(base3_family().candidate(Isa::avx2, "nonsense"), trine::Error);
}

TEST(Base3Family, DefaultForLayoutKeepsTheOwnersRows) {
  const auto& f = base3_family();
  for (Isa isa : kIsas)
    for (const auto& owner : f.space(isa, Op::gemv)) {
      const auto c = f.default_for_layout(owner, Op::gemm);
      EXPECT_EQ(owner.layout_key, c.layout_key) << owner.config;
      EXPECT_NO_THROW(Base3Config::parse(isa, c.config)) << c.config;
    }
}

TEST(Base3Family, PackMatchesTheLayout) {
  trine::TernaryMatrix W;
  W.M = 17;
  W.K = 45;
  W.w.assign(17 * 45, 1);
  const auto cand = base3_family().candidate(Isa::avx512vnni, "r16.mb1.nt1.ku1.pf0.kb0.s0.d0");
  EXPECT_EQ(static_cast<size_t>(trine::base3::Layout{64, 16}.packed_bytes(17, 45)),
            base3_family().pack(cand, W).size_bytes());
}

std::string read_source(const std::string& rel) {
  std::ifstream in(std::string(TRINE_SOURCE_DIR) + "/" + rel);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The defaults and both ends of every ISA's spaces compile, from the template files in the source
// tree (embedding them into the binary is the build's business). Not whole spaces: clang at -O3
// takes minutes over a few hundred instantiations.
TEST(Base3Family, SourceCompilesForEveryIsa) {
  std::vector<trine::jit::SourceFile> headers;
  for (const char* rel : {"templates/cpu/base3.h", "templates/cpu/base3_layout.h", "templates/cpu/mad.h",
                          "templates/cpu/mad_layout.h", "templates/cpu/row_blocks.h", "templates/cpu/out_prefetch.h",
                          "runtime/kernel_abi.h"})
    headers.push_back({rel, read_source(rel)});
  for (Isa isa : kIsas) {
    trine::jit::Target t = trine::jit::host_target();
    if (t.triple.rfind("x86_64", 0) != 0) GTEST_SKIP() << "not an x86-64 host";
    // Compiled, never run: the host need not have the ISA.
    for (const char* feat : {"+avx2", "+fma", "+avxvnni", "+avx512f", "+avx512bw", "+avx512vl", "+avx512vnni"})
      t.features.push_back(feat);
    trine::jit::Jit jit(t, "");
    std::vector<trine::codegen::Candidate> cands;
    for (Op op : {Op::gemv, Op::gemm}) {
      const auto space = base3_family().space(isa, op);
      cands.push_back(space.front());
      cands.push_back(space.back());
      const auto def = base3_family().default_candidate(isa, op);
      if (def.symbol != space.front().symbol && def.symbol != space.back().symbol) cands.push_back(def);
    }
    const std::string src = base3_family().source(cands);
    const auto id = jit.add(std::string("base3_") + trine::isa_name(isa), src, headers);
    EXPECT_NE(nullptr, jit.lookup(id, cands.front().symbol));
    EXPECT_NE(nullptr, jit.lookup(id, cands.back().symbol));
  }
}

}  // namespace
#endif
