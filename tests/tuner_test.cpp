// The tuner end to end on small shapes: broken candidates are reported and never stored, a winner
// is stored, a rerun reuses it, and a second tune from a fresh database compiles nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include "codegen/tuner.h"
#include "runtime/error.h"

namespace {

namespace fs = std::filesystem;
using namespace trine;
using namespace trine::codegen;

// A few real MAD configs under another family name, optionally with two saboteurs: one whose
// source does not compile and one that computes a wrong answer.
class TestFamily final : public Family {
 public:
  TestFamily(std::string name, bool saboteurs) : name_(std::move(name)), saboteurs_(saboteurs) {}
  std::string name() const override { return name_; }
  double nominal_bits_per_weight() const override { return 2.0; }

  std::vector<Candidate> space(Isa isa, Op op) const override {
    std::vector<Candidate> out;
    for (const char* cfg : {"r16.mb2.nt1.ku2.pf0.kb0.s0.d0", "r8.mb1.nt1.ku1.pf0.kb0.s1.d0", "r4.mb2.nt1.ku1.pf0.kb0.s0.d0"}) {
      if (isa == Isa::avx2 && cfg[1] == '1') continue;
      out.push_back(candidate(isa, cfg));
    }
    if (saboteurs_) {
      out.push_back(saboteur(isa, "does-not-compile"));
      out.push_back(saboteur(isa, "wrong-result"));
    }
    return out;
  }
  Candidate default_candidate(Isa isa, Op op) const override { return candidate(isa, mad_default(isa, op).str()); }
  Candidate default_for_layout(const Candidate& owner, Op op) const override {
    return mad_family().default_for_layout(owner, op);
  }
  Candidate candidate(Isa isa, const std::string& config) const override {
    if (config == "does-not-compile" || config == "wrong-result") return saboteur(isa, config);
    Candidate c = mad_family().candidate(isa, config);
    c.family = name_;
    return c;
  }
  std::string source(const std::vector<Candidate>& cands) const override {
    std::vector<Candidate> real;
    std::string extra;
    for (const Candidate& c : cands) {
      if (c.config == "does-not-compile") {
        extra += fmt::format("extern \"C\" void {}(const trine_gemm_args* a, int32_t, int32_t) {{ not C++ }}\n", c.symbol);
      } else if (c.config == "wrong-result") {
        const Candidate inner = mad_family().default_candidate(c.isa, Op::gemv);
        real.push_back(inner);
        extra += fmt::format(
            "extern \"C\" void {}(const trine_gemm_args* a, int32_t tid, int32_t n) {{\n"
            "  {}(a, tid, n);\n  if (tid == 0) a->y[0] += 1.0f;\n}}\n",
            c.symbol, inner.symbol);
      } else {
        real.push_back(c);
      }
    }
    return mad_family().source(real) + extra;
  }
  std::vector<jit::SourceFile> headers() const override { return mad_family().headers(); }
  int64_t packed_bytes(const Candidate& c, int M, int K) const override {
    const bool sab = c.config == "does-not-compile" || c.config == "wrong-result";
    return kernel_packed_bytes("mad", c.isa, sab ? mad_default(c.isa, Op::gemv).str() : c.config, M, K);
  }
  PackedWeights pack(const Candidate& c, const TernaryMatrix& W) const override {
    const bool sab = c.config == "does-not-compile" || c.config == "wrong-result";
    return mad_family().pack(sab ? mad_family().default_candidate(c.isa, Op::gemv) : c, W);
  }

 private:
  Candidate saboteur(Isa isa, const std::string& config) const {
    const Candidate def = mad_family().default_candidate(isa, Op::gemv);
    std::string sym = "trine_test_" + config + "_" + isa_name(isa);
    for (char& ch : sym)
      if (ch == '-') ch = '_';
    return Candidate{name_, isa, config, sym, def.layout_key};
  }
  std::string name_;
  bool saboteurs_;
};

class TunerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("trine_tuner_test_{}_{}", getpid(), counter_++);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  TuneOptions options(const Family& fam, std::vector<Shape> shapes) {
    TuneOptions o;
    o.shapes = std::move(shapes);
    o.isas = {usable_isas(host_info()).front()};
    o.families = {&fam};
    o.budget_s = 30;
    o.cold_bytes = 8u << 20;
    return o;
  }

  fs::path dir_;
  static inline int counter_ = 0;
};

TEST_F(TunerTest, BrokenCandidatesAreReportedAndNeverStored) {
  TestFamily fam("mad-test", true);
  TuningDb db((dir_ / "t.db").string());
  ThreadPool pool(2);
  CompilerSet compilers((dir_ / "obj").string());
  Tuner tuner(db, compilers, pool, host_info());
  const auto results = tuner.tune(options(fam, {{100, 300, 1, ""}}));
  ASSERT_EQ(results.size(), 1u);
  const TuneResult& r = results[0];
  EXPECT_FALSE(r.cached);
  EXPECT_EQ(r.compile_failed, 1);
  EXPECT_EQ(r.verify_failed, 1);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_NE(r.failures[0].find("does-not-compile: compile failed"), std::string::npos) << r.failures[0];
  EXPECT_NE(r.failures[1].find("wrong-result: wrong result"), std::string::npos) << r.failures[1];
  EXPECT_NE(r.winner.config, "does-not-compile");
  EXPECT_NE(r.winner.config, "wrong-result");

  const std::optional<Winner> stored = db.winner(r.key);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->family, "mad-test");
  EXPECT_EQ(stored->config, r.winner.config);
  int compile_failed = 0, verify_failed = 0;
  for (const Trial& t : db.trials(r.key)) {
    compile_failed += t.status == "compile_failed" && t.config == "does-not-compile";
    verify_failed += t.status == "verify_failed" && t.config == "wrong-result";
  }
  EXPECT_EQ(compile_failed, 1);
  EXPECT_EQ(verify_failed, 1);
}

TEST_F(TunerTest, RerunReusesWinnersAndFreshDatabaseCompilesNothing) {
  TestFamily fam("mad-cache", false);
  const std::vector<Shape> shapes{{64, 256, 1, ""}, {72, 520, 3, ""}};
  ThreadPool pool(2);
  std::string first_config;
  {
    TuningDb db((dir_ / "a.db").string());
    CompilerSet compilers((dir_ / "obj").string());
    Tuner tuner(db, compilers, pool, host_info());
    const auto r = tuner.tune(options(fam, shapes));
    EXPECT_GT(compilers.counters().compiles, 0u);
    first_config = r[0].winner.config;
  }
  {  // Same database: winners come from it, nothing is compiled or even loaded.
    TuningDb db((dir_ / "a.db").string());
    CompilerSet compilers((dir_ / "obj").string());
    Tuner tuner(db, compilers, pool, host_info());
    const auto r = tuner.tune(options(fam, shapes));
    ASSERT_EQ(r.size(), 2u);
    EXPECT_TRUE(r[0].cached);
    EXPECT_TRUE(r[1].cached);
    EXPECT_EQ(r[0].winner.config, first_config);
    EXPECT_EQ(compilers.counters().compiles, 0u);
    EXPECT_EQ(compilers.counters().cache_hits, 0u);
  }
  {  // Fresh database, same object cache: everything is tuned again, nothing is compiled.
    TuningDb db((dir_ / "b.db").string());
    CompilerSet compilers((dir_ / "obj").string());
    Tuner tuner(db, compilers, pool, host_info());
    const auto r = tuner.tune(options(fam, shapes));
    EXPECT_FALSE(r[0].cached);
    EXPECT_EQ(compilers.counters().compiles, 0u);
    EXPECT_GT(compilers.counters().cache_hits, 0u);
  }
}

TEST_F(TunerTest, Avx2PathThroughTheJitOnAnyX86Host) {
  if (!host_info().has("avx2")) GTEST_SKIP() << "host has no AVX2";
  TestFamily fam("mad-avx2", true);
  TuningDb db((dir_ / "t.db").string());
  ThreadPool pool(2);
  CompilerSet compilers((dir_ / "obj").string());
  Tuner tuner(db, compilers, pool, host_info());
  TuneOptions o = options(fam, {{50, 700, 1, ""}, {50, 700, 5, ""}});
  o.isas = {Isa::avx2};  // compiled for the host capped at AVX2: no AVX-512 instruction anywhere
  const auto results = tuner.tune(o);
  for (const TuneResult& r : results) {
    EXPECT_EQ(r.winner.key.isa, "avx2");
    EXPECT_EQ(r.compile_failed, 1);
    EXPECT_EQ(r.verify_failed, 1);
  }
}

TEST_F(TunerTest, EveryFamilyReachesTheFinalRoundAndIsReportedSideBySide) {
  TestFamily a("fam-a", false), b("fam-b", false);
  TuningDb db((dir_ / "t.db").string());
  ThreadPool pool(2);
  CompilerSet compilers((dir_ / "obj").string());
  Tuner tuner(db, compilers, pool, host_info());
  TuneOptions o = options(a, {{96, 512, 1, ""}});
  o.families = {&a, &b};
  const auto results = tuner.tune(o);
  ASSERT_EQ(results.size(), 1u);
  const TuneResult& r = results[0];
  ASSERT_EQ(r.family_best.size(), 2u);
  EXPECT_NE(r.family_best[0].family, r.family_best[1].family);
  EXPECT_LE(r.family_best[0].stats.median_s, r.family_best[1].stats.median_s);
  EXPECT_EQ(r.family_best[0].family, r.winner.family);
  EXPECT_EQ(r.family_best[0].config, r.winner.config);
  // 96 rows x 512 k at 2 bits per weight, rows padded to the block.
  for (const FamilyBest& f : r.family_best) EXPECT_EQ(f.weight_bytes, 96 * 512 / 4) << f.family << " " << f.config;

  // A rerun reads the same side-by-side view back from the stored trials.
  const auto again = tuner.tune(o);
  ASSERT_TRUE(again[0].cached);
  ASSERT_EQ(again[0].family_best.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(again[0].family_best[i].family, r.family_best[i].family);
    EXPECT_EQ(again[0].family_best[i].config, r.family_best[i].config);
    EXPECT_EQ(again[0].family_best[i].stats.median_s, r.family_best[i].stats.median_s);
  }
}

TEST(ParseShape, AcceptsMxKAndMxKxN) {
  const Shape a = parse_shape("2560x6912");
  EXPECT_EQ(a.M, 2560);
  EXPECT_EQ(a.K, 6912);
  EXPECT_EQ(a.N, 1);
  const Shape b = parse_shape("640x2560x128");
  EXPECT_EQ(b.N, 128);
}

TEST(ParseShape, RejectsMalformedText) {
  for (const char* bad : {"12x", "0x5", "axb", "5x5x0", "5x5x5x5", "-3x4", "5x5x", "", "12x12y"}) {
    try {
      parse_shape(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fmt::format("--shape '{}'", bad)), std::string::npos) << e.what();
    }
  }
}

}  // namespace
