// The LUT config text, its legality rules and (with the JIT) the family's search space, and which
// prefill kernel inference runs for a LUT decode winner (on its packed copy, or on its own).
#include <set>

#include <gtest/gtest.h>

#include "runtime/error.h"
#include "runtime/host.h"
#include "runtime/lut_config.h"
#include "runtime/registry.h"
#ifdef TRINE_HAVE_JIT
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "codegen/family.h"
#include "codegen/jit_provider.h"
#include "codegen/tuner.h"
#include "jit/jit.h"
#include "runtime/kernel_spec.h"
#include "runtime/packed_weights.h"
#include "runtime/problems.h"
#include "runtime/thread_pool.h"
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

TEST(LutConfig, VpermbConfigs) {
  const LutConfig c = LutConfig::parse(Isa::avx512vnni, "vpermb.r32.mb2.ts0.tr4.nt2.pf0.s1");
  EXPECT_TRUE(c.perm);
  EXPECT_EQ(32, c.r);
  EXPECT_EQ(4, c.tr);
  EXPECT_EQ(2, c.nt);
  EXPECT_EQ("vpermb.r32.mb2.ts0.tr4.nt2.pf0.s1", c.str());
  EXPECT_EQ(std::vector<std::string>{"avx512vbmi"}, c.extra_features());
  EXPECT_TRUE(LutConfig::parse(Isa::avx512vnni, "g3.r64.mb1.kg84.ts0.tr0.nt1.pf0.s0").extra_features().empty());
  EXPECT_TRUE(c.layout().perm);
  expect_rejected(Isa::avx2, "vpermb.r32.mb1.ts0.tr0.nt1.pf0.s0", "avx512vnni only");
  expect_rejected(Isa::avx512vnni, "vpermb.r48.mb1.ts0.tr0.nt1.pf0.s0", "r=48 must be 32, 64 or 128");
  expect_rejected(Isa::avx512vnni, "vpermb.r32.mb1.ts40.tr0.nt1.pf0.s0", "ts=40 must be 0 or a multiple of 16");
  expect_rejected(Isa::avx512vnni, "vpermb.r128.mb2.ts0.tr0.nt1.pf0.s0", "needs 40 vector registers of 32");
  expect_rejected(Isa::avx512vnni, "vpermb.r32.mb1.ts0.tr0.nt1.pf0", "expected");
  expect_rejected(Isa::avx512vnni, "vpermb.r32.mb1.kg84.ts0.tr0.nt1.pf0.s0", "expected");
}

// An AVX-512 VNNI host without VBMI (Cascade Lake) runs the pshufb kernels, not the vpermb ones.
TEST(LutConfig, VpermbKernelsNeedVbmiOnTheHost) {
  trine::HostInfo h;
  h.features = {"avx2", "avx512bw", "avx512f", "avx512vl", "avx512vnni", "fma"};
  const std::string perm = "vpermb.r32.mb1.ts0.tr0.nt1.pf0.s0", shuf = "g3.r64.mb1.kg84.ts0.tr0.nt1.pf0.s0";
  EXPECT_EQ(std::vector<std::string>{"avx512vbmi"}, trine::kernel_extra_features("lut", Isa::avx512vnni, perm));
  EXPECT_FALSE(trine::kernel_runs_on("lut", Isa::avx512vnni, perm, h));
  EXPECT_TRUE(trine::kernel_runs_on("lut", Isa::avx512vnni, shuf, h));
  h.features.insert(h.features.begin() + 3, "avx512vbmi");
  EXPECT_TRUE(trine::kernel_runs_on("lut", Isa::avx512vnni, perm, h));
  h.features = {"avx2", "fma"};
  EXPECT_FALSE(trine::kernel_runs_on("lut", Isa::avx512vnni, shuf, h));
  EXPECT_TRUE(trine::kernel_runs_on("mad", Isa::avx2, "r8.mb1.nt1.ku1.pf0.kb0.s0.d0", h));
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
      EXPECT_LE(space.size(), 120u);  // AVX-512 decode, vpermb included: 106
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
      EXPECT_NE(std::string::npos, src.find("templates/cpu/lut_perm.h"));
      EXPECT_NE(std::string::npos, src.find(space.front().symbol));
    }
  }
  EXPECT_TRUE(f.space(Isa::avxvnni, Op::gemv).empty());
  EXPECT_THROW(f.candidate(Isa::avx2, "g3.r32"), trine::Error);
}

// The vpermb kernels join the AVX-512 search exactly where the host can run them, and their
// prefill default reads their own layout.
TEST(LutFamily, VpermbKernelsOnlyWhereTheHostHasVbmi) {
  const trine::codegen::Family& f = trine::codegen::lut_family();
  const bool vbmi = trine::host_info().has("avx512vbmi");
  for (Op op : {Op::gemv, Op::gemm}) {
    int perm = 0;
    for (const auto& c : f.space(Isa::avx512vnni, op)) perm += LutConfig::parse(Isa::avx512vnni, c.config).perm;
    EXPECT_EQ(vbmi, perm > 0) << op_name(op) << ": " << perm << " vpermb configs";
    for (const auto& c : f.space(Isa::avx2, op)) EXPECT_FALSE(LutConfig::parse(Isa::avx2, c.config).perm);
  }
  const auto c = f.candidate(Isa::avx512vnni, "vpermb.r64.mb2.ts0.tr0.nt1.pf512.s2");
  EXPECT_EQ("trine_lut_avx512vnni_vpermb_r64_mb2_ts0_tr0_nt1_pf512_s2", c.symbol);
  EXPECT_EQ("lut/vpermb/r64", c.layout_key);
  const auto pre = f.default_for_layout(c, Op::gemm);
  EXPECT_EQ(c.layout_key, pre.layout_key);
  EXPECT_TRUE(LutConfig::parse(Isa::avx512vnni, pre.config).perm) << pre.config;
  // K = 2560: 854 groups padded to 864 = 54 units of 640 bytes per 64 rows, and 4 bytes per row
  // of sign sums: 5 bits per 3 weights plus 1 %.
  EXPECT_EQ(10 * (54 * 640 + 256), f.packed_bytes(c, 640, 2560));
  EXPECT_NE(std::string::npos, f.source({c}).find("PermKernel<64, 2, 0, 0, 1, 512, 2>"));
}
// LUT wins decode and MAD prefill in a database written by hand, so the choices are
// deterministic. With PrefillLayout::decode prefill reads the LUT-packed copy: it runs the fastest
// prefill trial stored for that layout (not the default), and the default only where no trial on
// the layout exists. With PrefillLayout::own it runs the MAD winner on a MAD-packed copy.
namespace fs = std::filesystem;

class LutProvider : public ::testing::Test {
 protected:
  void SetUp() override {
    isa_ = trine::usable_isas(trine::host_info()).front();
    if (!trine::codegen::lut_family().supports(isa_)) GTEST_SKIP() << "no LUT kernels for " << isa_name(isa_);
    vb_ = trine::vector_bytes(isa_);
    dir_ = fs::temp_directory_path() / ("trine_lut_provider_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    db_ = std::make_unique<trine::TuningDb>((dir_ / "t.db").string());
    const std::string compiler = trine::jit::Jit::compiler_version();
    auto key = [&](Op op, int M) {
      return trine::codegen::make_key(trine::host_info(), compiler, op, {M, 512, op == Op::gemv ? 1 : 128, ""},
                                      kThreads, isa_);
    };
    auto timed = [](double s) { return trine::TimingStats{s, s, s, s, 9}; };
    std::vector<trine::Trial> trials;
    for (int M : {96, 64}) {
      db_->put_winner(trine::Winner{key(Op::gemv, M), "lut", cfg(2 * vb_, 1), timed(1e-6), 0, 0, 0});
      db_->put_winner(trine::Winner{key(Op::gemm, M), "mad", mad_winner(), timed(1e-4), 0, 0, 0});
      trials.push_back(trine::Trial{key(Op::gemm, M), "mad", mad_winner(), "ok", timed(1e-4), ""});
      trials.push_back(trine::Trial{key(Op::gemm, M), "lut", cfg(vb_, 2), "ok", timed(2e-4), ""});  // other layout
    }
    // Only M = 96 has trials on the decode layout: a fast one, a slower one, and a faster one
    // that was dropped early (its median is from too few samples to trust).
    trials.push_back(trine::Trial{key(Op::gemm, 96), "lut", cfg(2 * vb_, 1), "ok", timed(5e-4), ""});
    trials.push_back(trine::Trial{key(Op::gemm, 96), "lut", cfg(2 * vb_, 2), "ok", timed(3e-4), ""});
    trials.push_back(trine::Trial{key(Op::gemm, 96), "lut", cfg(2 * vb_, 4), "dropped_early", timed(1e-5), ""});
    db_->add_trials(trials);
    compilers_ = std::make_unique<trine::codegen::CompilerSet>((dir_ / "obj").string());
  }
  void TearDown() override {
    compilers_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  static std::string cfg(int r, int nt) { return fmt::format("g3.r{}.mb1.kg84.ts0.tr0.nt{}.pf0.s0", r, nt); }
  std::string mad_winner() const { return trine::codegen::mad_family().default_candidate(isa_, Op::gemm).config; }

  // Runs pm's prefill kernel on 7 tokens of the problem and compares with the reference bit for bit.
  static void expect_exact_prefill(const trine::PreparedMatmul& pm, const trine::Problem& p) {
    trine::ThreadPool pool(kThreads);
    const trine::PackedWeights& w = pm.weights_for(7);
    trine::GemmWorkspace ws;
    ws.prepare(p.acts, w.wscale, pool.size());
    std::vector<float> y(static_cast<size_t>(7) * p.W.M, -1.0f);
    const trine_gemm_args args = trine::make_gemm_args(w.bytes.data(), p.W.M, p.W.K, p.acts, ws, y.data(), p.W.M);
    trine::run_gemm(pool, pm.gemm, args);
    EXPECT_EQ(0, std::memcmp(y.data(), p.y_ref.data(), y.size() * sizeof(float))) << "M=" << p.W.M;
  }

  static constexpr int kThreads = 2;
  Isa isa_{};
  int vb_ = 0;
  fs::path dir_;
  std::unique_ptr<trine::TuningDb> db_;
  std::unique_ptr<trine::codegen::CompilerSet> compilers_;
};

TEST_F(LutProvider, PrefillOnTheDecodeLayoutRunsTheFastestTrialOnIt) {
  trine::codegen::JitKernelProvider provider(*compilers_, db_.get(), trine::host_info(), {isa_},
                                             trine::PrefillLayout::decode);
  for (int M : {96, 64}) {
    const trine::Problem p = trine::make_problem(trine::ProblemKind::random, M, 512, 7, 11);
    const trine::PreparedMatmul pm = provider.prepare(p.W, kThreads);
    EXPECT_NE(pm.gemv_desc.find(cfg(2 * vb_, 1) + " (tuned)"), std::string::npos) << pm.gemv_desc;
    const std::string want = M == 96 ? cfg(2 * vb_, 2) + " (fastest tuned on the decode layout)"
                                     : trine::lut_default(isa_, Op::gemm).str() + " (default on the decode layout)";
    EXPECT_NE(pm.gemm_desc.find(want), std::string::npos) << pm.gemm_desc;
    EXPECT_EQ(pm.prefill_packed.size_bytes(), 0u);
    EXPECT_EQ(&pm.weights_for(7), &pm.packed);
    expect_exact_prefill(pm, p);
  }
}

TEST_F(LutProvider, PrefillWithItsOwnCopyRunsItsWinner) {
  trine::codegen::JitKernelProvider provider(*compilers_, db_.get(), trine::host_info(), {isa_});  // own: the default
  for (int M : {96, 64}) {
    const trine::Problem p = trine::make_problem(trine::ProblemKind::random, M, 512, 7, 11);
    const trine::PreparedMatmul pm = provider.prepare(p.W, kThreads);
    EXPECT_NE(pm.gemm_desc.find("mad " + std::string(isa_name(isa_)) + " " + mad_winner() + " (tuned, own packed copy)"),
              std::string::npos)
        << pm.gemm_desc;
    // The MAD copy: 2 bits a weight, padded to its row blocks; decode still reads the LUT copy.
    const trine::PackedWeights mad = trine::pack_for_kernel("mad", isa_, mad_winner(), p.W);
    ASSERT_EQ(pm.prefill_packed.size_bytes(), mad.size_bytes());
    EXPECT_EQ(0, std::memcmp(pm.prefill_packed.bytes.data(), mad.bytes.data(), mad.size_bytes()));
    EXPECT_EQ(&pm.weights_for(7), &pm.prefill_packed);
    EXPECT_EQ(&pm.weights_for(1), &pm.packed);
    expect_exact_prefill(pm, p);
  }
}
#endif

}  // namespace
