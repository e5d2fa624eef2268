// `trine aot`: which winners a target gets, the defaults every table needs, the tree it writes,
// and bad input. The end-to-end build of an AOT runtime is tests/aot/roundtrip.sh.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "codegen/aot_writer.h"
#include "runtime/host.h"
#include "tests/cli_runner.h"

namespace trine::codegen {
namespace {

namespace fs = std::filesystem;
using trine::testing::run_trine;
using AotTest = trine::testing::TempDirTest;

const std::string kFixture = std::string(TRINE_SOURCE_DIR) + "/tests/data/aot_winners.json";

Winner winner(const std::string& host, const std::string& op, int M, const std::string& isa, const std::string& config,
              int64_t created_at, const std::string& generator = TRINE_GENERATOR_VERSION) {
  Winner w;
  w.key = TuneKey{host, "clang-14.0.6", generator, op, M, 256, op == "gemv" ? 1 : 128, 2, isa};
  w.family = "mad";
  w.config = config;
  w.stats.median_s = 1e-6;
  w.created_at = created_at;
  return w;
}

const AotEntry* find(const AotPlan& plan, Op op, int M, Isa isa) {
  for (const AotEntry& e : plan.entries)
    if (e.op == op && e.M == M && e.cand.isa == isa) return &e;
  return nullptr;
}

TEST(AotPlan, KeepsThisHostsWinnerThenTheNewest) {
  const AotTarget t{"x86-64-v4", "x86_64", {Isa::avx512vnni, Isa::avx2}};
  const std::vector<Winner> ws{
      winner("other", "gemv", 256, "avx512vnni", "r4.mb1.nt1.ku1.pf0.kb0.s0.d0", 300),
      winner("mine", "gemv", 256, "avx512vnni", "r8.mb1.nt1.ku1.pf0.kb0.s0.d0", 100),
      winner("other", "gemv", 128, "avx512vnni", "r4.mb2.nt1.ku1.pf0.kb0.s0.d0", 100),
      winner("other2", "gemv", 128, "avx512vnni", "r4.mb4.nt1.ku1.pf0.kb0.s0.d0", 200),
  };
  const AotPlan plan = plan_aot(t, ws, "mine");
  EXPECT_EQ(plan.tuned, 2);
  ASSERT_TRUE(find(plan, Op::gemv, 256, Isa::avx512vnni));
  EXPECT_EQ(find(plan, Op::gemv, 256, Isa::avx512vnni)->cand.config, "r8.mb1.nt1.ku1.pf0.kb0.s0.d0");
  EXPECT_EQ(find(plan, Op::gemv, 128, Isa::avx512vnni)->cand.config, "r4.mb4.nt1.ku1.pf0.kb0.s0.d0");
}

TEST(AotPlan, SkipsStaleAndForeignWinnersAndSaysSo) {
  const AotTarget t{"x86-64-v3", "x86_64", {Isa::avxvnni, Isa::avx2}};
  const std::vector<Winner> ws{
      winner("h", "gemv", 256, "avx512vnni", "r16.mb1.nt1.ku1.pf0.kb0.s0.d0", 1),
      winner("h", "gemv", 256, "avx2", "r8.mb1.nt1.ku1.pf0.kb0.s0.d0", 1, "mad-0"),
  };
  const AotPlan plan = plan_aot(t, ws, "h");
  EXPECT_EQ(plan.tuned, 0);
  ASSERT_EQ(plan.notes.size(), 3u);
  EXPECT_NE(plan.notes[0].find("another generator version"), std::string::npos);
  EXPECT_NE(plan.notes[1].find("not in target x86-64-v3"), std::string::npos);
  EXPECT_NE(plan.notes[2].find("every shape uses the family defaults"), std::string::npos);
}

TEST(AotPlan, EveryIsaHasDefaultsAndEveryDecodeLayoutAPrefillKernel) {
  const AotTarget t{"x86-64-v4", "x86_64", {Isa::avx512vnni, Isa::avx2}};
  const AotPlan plan = plan_aot(t, {winner("h", "gemv", 256, "avx512vnni", "r4.mb1.nt1.ku1.pf0.kb0.s0.d0", 1)}, "h");
  for (Isa isa : t.isas) {
    EXPECT_TRUE(find(plan, Op::gemv, 0, isa)) << isa_name(isa);
    EXPECT_TRUE(find(plan, Op::gemm, 0, isa)) << isa_name(isa);
  }
  for (const AotEntry& v : plan.entries) {
    if (v.op != Op::gemv) continue;
    bool served = false;
    for (const AotEntry& g : plan.entries)
      served |= g.op == Op::gemm && !g.tuned() && g.cand.isa == v.cand.isa && g.cand.layout_key == v.cand.layout_key;
    EXPECT_TRUE(served) << "no prefill default reads the layout of " << v.cand.config;
  }
}

TEST(AotTargets, NamesAndFlags) {
  EXPECT_EQ(aot_target("x86-64-v3", host_info()).isas, (std::vector<Isa>{Isa::avxvnni, Isa::avx2}));
  EXPECT_EQ(aot_isa_flags(Isa::avx512vnni), "-march=x86-64-v4;-mavx512vnni");
  EXPECT_EQ(aot_target("host", host_info()).isas, usable_isas(host_info()));
  try {
    aot_target("riscv", host_info());
    FAIL() << "an unknown target was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--target riscv: unknown target"), std::string::npos) << e.what();
  }
}

TEST_F(AotTest, WritesATreeThatNamesEveryKernel) {
  const auto r = run_trine(fmt::format("aot --from-json {} --target x86-64-v4 --out {}", kFixture, path("k")));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("1 winners skipped: tuned by another generator version"), std::string::npos) << r.out;
  for (const char* f : {"CMakeLists.txt", "README.md", "dispatch_table.cpp", "manifest.json", "kernels_mad_avx2.cpp",
                        "kernels_mad_avx512vnni.cpp", "kernels_base3_avx512vnni.cpp", "kernels_lut_avx512vnni.cpp",
                        "kernels_halide_avx512vnni.cpp", "templates/cpu/mad.h", "templates/cpu/base3.h",
                        "templates/cpu/lut.h", "templates/cpu/lut_perm.h", "templates/cpu/halide_glue.h", "HalideRuntime.h", "runtime/aot_table.h"})
    EXPECT_TRUE(fs::exists(dir_ / "k" / f)) << f;
  std::ifstream in(dir_ / "k" / "manifest.json");
  const nlohmann::json m = nlohmann::json::parse(in);
  EXPECT_EQ(m["target"], "x86-64-v4");
  std::ifstream table(dir_ / "k" / "dispatch_table.cpp");
  const std::string src((std::istreambuf_iterator<char>(table)), {});
  for (const auto& k : m["kernels"]) {
    EXPECT_NE(src.find(fmt::format("\"{}\", {}, {}, {}, \"{}\", \"{}\", \"{}\"", k["op"].get<std::string>(),
                                   k["M"].get<int>(), k["K"].get<int>(), k["threads"].get<int>(),
                                   k["family"].get<std::string>(), k["isa"].get<std::string>(),
                                   k["config"].get<std::string>())),
              std::string::npos)
        << k.dump();
  }
  // 8 tuned (one base-3, a LUT GEMV and a vpermb LUT GEMM, a Halide GEMV and GEMM), 2 defaults
  // for each ISA, and a prefill default for the base-3, LUT and Halide decode layouts.
  EXPECT_EQ(m["kernels"].size(), 15u);
  // Each Halide pipeline the table uses is an object in the tree, listed in its CMakeLists.
  std::ifstream cm(dir_ / "k" / "CMakeLists.txt");
  const std::string cmake((std::istreambuf_iterator<char>(cm)), {});
  for (const char* pipe : {"trine_halide_pipe_vb64_r16_nb2_nt1_ku1_pf2048_avx512_vnni.o",
                           "trine_halide_pipe_vb64_r16_nb4_nt2_ku1_pf0_avx512_vnni.o",
                           "trine_halide_pipe_vb64_r16_nb2_nt4_ku1_pf0_avx512_vnni.o"}) {
    EXPECT_TRUE(fs::exists(dir_ / "k" / pipe)) << pipe;
    EXPECT_NE(cmake.find(pipe), std::string::npos) << pipe << "\n" << cmake;
  }
  EXPECT_EQ(r.out.find("Halide"), std::string::npos) << r.out;  // nothing skipped
}

TEST_F(AotTest, NoWinnersMeansDefaultsAndSaysSo) {
  const auto r = run_trine(fmt::format("aot --db {} --target x86-64-v3 --out {}", kFixture + ".none", path("k")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(kFixture + ".none"));  // a mistyped --db creates nothing
  ASSERT_EQ(run_trine(fmt::format("cache list --db {}", path("empty.db"))).status, 0);
  const auto ok = run_trine(fmt::format("aot --db {} --target x86-64-v3 --out {}", path("empty.db"), path("k")));
  ASSERT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("no tuned winners for target x86-64-v3: every shape uses the family defaults"),
            std::string::npos)
      << ok.out;
}

TEST_F(AotTest, RefusesANonEmptyOutputUnlessForced) {
  fs::create_directories(dir_ / "k");
  std::ofstream(dir_ / "k" / "keep.txt") << "mine";
  const std::string cmd = fmt::format("aot --from-json {} --target x86-64-v3 --out {}", kFixture, path("k"));
  const auto r = run_trine(cmd);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("exists and is not empty; pass --force"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "k" / "keep.txt"));
  const auto forced = run_trine(cmd + " --force");
  ASSERT_EQ(forced.status, 0) << forced.out;
  EXPECT_FALSE(fs::exists(dir_ / "k" / "keep.txt"));
  EXPECT_TRUE(fs::exists(dir_ / "k" / "dispatch_table.cpp"));
}

TEST_F(AotTest, BadTargetAndBadJson) {
  const auto t = run_trine(fmt::format("aot --target sparc --out {}", path("k")));
  EXPECT_EQ(t.status, 1);
  EXPECT_NE(t.out.find("--target sparc: unknown target"), std::string::npos) << t.out;
  std::ofstream(path("bad.json")) << "{\"format\": \"trine-tuning\", \"version\": 1, \"winners\": [{\"op\": 3}]}";
  const auto j = run_trine(fmt::format("aot --from-json {} --out {}", path("bad.json"), path("k")));
  EXPECT_EQ(j.status, 1);
  EXPECT_NE(j.out.find("--from-json " + path("bad.json")), std::string::npos) << j.out;
  EXPECT_FALSE(fs::exists(dir_ / "k"));
}

}  // namespace
}  // namespace trine::codegen
