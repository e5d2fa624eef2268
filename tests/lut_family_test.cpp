// The LUT config text, its legality rules and (with the JIT) the family's search space.
#include <set>

#include <gtest/gtest.h>

#include "runtime/error.h"
#include "runtime/lut_config.h"
#ifdef TRINE_HAVE_JIT
#include "codegen/family.h"
#endif

namespace {

using trine::Isa;
using trine::LutConfig;
using trine::Op;
using trine::isa_name;
using trine::op_name;

TEST(LutConfig, StrParseRoundTrip) {
  const LutConfig c{Isa::avx512vnni, 128, 2, 84, 252, 4, 2, 512, 1};
  EXPECT_EQ("g3.r128.mb2.kg84.ts252.tr4.nt2.pf512.s1", c.str());
  EXPECT_EQ("trine_lut_avx512vnni_g3_r128_mb2_kg84_ts252_tr4_nt2_pf512_s1", c.symbol());
  EXPECT_EQ(c, LutConfig::parse(Isa::avx512vnni, c.str()));
  EXPECT_EQ("lut/g3/vb64/r128", c.layout_key());
  EXPECT_EQ(64, c.layout().vb);
  EXPECT_EQ(128, c.layout().r);
  EXPECT_EQ(3, c.layout().g);
  const LutConfig p{Isa::avx2, 64, 1, 124, 0, 0, 1, 512, 2, 2};
  EXPECT_EQ("g2.r64.mb1.kg124.ts0.tr0.nt1.pf512.s2", p.str());
  EXPECT_EQ(p, LutConfig::parse(Isa::avx2, p.str()));
  EXPECT_EQ("lut/g2/vb32/r64", p.layout_key());
  EXPECT_EQ(2, p.layout().g);
}

TEST(LutConfig, DefaultsAreLegal) {
  for (Isa isa : {Isa::avx2, Isa::avx512vnni})
    for (Op op : {Op::gemv, Op::gemm}) {
      const LutConfig c = trine::lut_default(isa, op);
      EXPECT_EQ("", c.violation()) << c.str();
      EXPECT_EQ(c, LutConfig::parse(isa, c.str()));
      EXPECT_EQ(op == Op::gemv, c.nt == 1);
    }
}

void expect_rejected(Isa isa, const std::string& text, const std::string& why) {
  try {
    LutConfig::parse(isa, text);
    ADD_FAILURE() << text << " was accepted";
  } catch (const trine::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(std::string::npos, msg.find(text)) << msg;
    EXPECT_NE(std::string::npos, msg.find(why)) << msg;
  }
}

TEST(LutConfig, BadConfigsRejected) {
  expect_rejected(Isa::avx2, "r32.mb1", "expected g<G>.r<R>");
  expect_rejected(Isa::avx2, "g4.r32.mb1.kg84.ts0.tr0.nt1.pf0.s0", "g=4 is not 2 or 3");
  expect_rejected(Isa::avx2, "g2.r32.mb1.kg128.ts0.tr0.nt1.pf0.s0", "4..124 (124 groups * 256 fit an int16)");
  EXPECT_EQ(LutConfig::parse(Isa::avx2, "g2.r32.mb1.kg124.ts0.tr0.nt1.pf0.s0").kg, 124);
  expect_rejected(Isa::avx2, "g3.r32.mb1.kg84.ts0.tr0.nt1.pf0.s0x", "expected");
  expect_rejected(Isa::avx2, "g3.r64.mb1.kg84.ts0.tr0.nt1.pf0.s0.d1", "expected");
  expect_rejected(Isa::avx2, "g3.r48.mb1.kg84.ts0.tr0.nt1.pf0.s0", "r=48 must be 32 or 64");
  expect_rejected(Isa::avx512vnni, "g3.r32.mb1.kg84.ts0.tr0.nt1.pf0.s0", "r=32 must be 64 or 128");
  expect_rejected(Isa::avx2, "g3.r32.mb1.kg88.ts0.tr0.nt1.pf0.s0", "kg=88");
  expect_rejected(Isa::avx2, "g3.r32.mb1.kg30.ts0.tr0.nt1.pf0.s0", "multiple of 4");
  expect_rejected(Isa::avx2, "g3.r32.mb1.kg64.ts100.tr0.nt1.pf0.s0", "ts=100 must be 0 or a multiple");
  expect_rejected(Isa::avx512vnni, "g3.r64.mb1.kg84.ts8400.tr0.nt1.pf0.s0", "table budget");
  expect_rejected(Isa::avx2, "g3.r32.mb1.kg84.ts0.tr0.nt1.pf0.s3", "s=3");
  expect_rejected(Isa::avx2, "g3.r64.mb4.kg84.ts0.tr0.nt1.pf0.s0", "vector registers");
  expect_rejected(Isa::avx512vnni, "g3.r128.mb4.kg84.ts0.tr0.nt4.pf0.s0", "vector registers");
  expect_rejected(Isa::avxvnni, "g3.r32.mb1.kg84.ts0.tr0.nt1.pf0.s0", "avx2, avx512vnni and neondot only");
  expect_rejected(Isa::neondot, "g3.r64.mb1.kg84.ts0.tr0.nt1.pf0.s0", "r=64 must be 16 or 32");
  // NEON has 32 registers: a tile AVX2 refuses fits.
  expect_rejected(Isa::avx2, "g3.r64.mb2.kg84.ts0.tr0.nt2.pf0.s0", "needs 23 vector registers of 16");
  EXPECT_EQ(LutConfig::parse(Isa::neondot, "g3.r32.mb2.kg84.ts0.tr0.nt2.pf0.s0").layout().vb, 16);
}

#ifdef TRINE_HAVE_JIT
TEST(LutFamily, SpaceIsLegalAndBounded) {
  const trine::codegen::Family& f = trine::codegen::lut_family();
  EXPECT_EQ("lut", f.name());
  EXPECT_DOUBLE_EQ(5.0 / 3.0, f.nominal_bits_per_weight());
  EXPECT_FALSE(f.supports(Isa::avxvnni));
  for (Isa isa : {Isa::avx2, Isa::avx512vnni, Isa::neondot}) {
    ASSERT_TRUE(f.supports(isa));
    for (Op op : {Op::gemv, Op::gemm}) {
      const auto space = f.space(isa, op);
      EXPECT_GE(space.size(), 12u) << isa_name(isa) << " " << op_name(op);
      EXPECT_LE(space.size(), 100u);
      std::set<std::string> symbols;
      for (const auto& c : space) {
        EXPECT_EQ("lut", c.family);
        const LutConfig cfg = LutConfig::parse(isa, c.config);
        EXPECT_EQ(op == Op::gemv, cfg.nt == 1) << c.config;
        EXPECT_EQ(c, f.candidate(isa, c.config));
        EXPECT_TRUE(symbols.insert(c.symbol).second) << "duplicate " << c.symbol;
        // A prefill default for this layout packs the same bytes.
        const auto pre = f.default_for_layout(c, Op::gemm);
        EXPECT_EQ(c.layout_key, pre.layout_key) << c.config << " vs " << pre.config;
        EXPECT_EQ(cfg.layout().packed_bytes(640, 2560), f.packed_bytes(c, 640, 2560));
      }
      const auto def = f.default_candidate(isa, op);
      EXPECT_EQ(def, f.candidate(isa, def.config));
      const std::string src = f.source(space);
      EXPECT_NE(std::string::npos, src.find("templates/cpu/lut.h"));
      EXPECT_NE(std::string::npos, src.find(space.front().symbol));
    }
  }
  EXPECT_TRUE(f.space(Isa::avxvnni, Op::gemv).empty());
  EXPECT_THROW(f.candidate(Isa::avx2, "g3.r32"), trine::Error);
}
#endif

}  // namespace
