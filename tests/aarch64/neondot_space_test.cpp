// The neondot MAD and LUT search spaces as codegen enumerates them, checked on the x86 build: their
// rules, that the qemu contract tests (mad_contract_neondot.cpp, lut_contract_neondot.cpp)
// instantiate every knob value they have, and that the source codegen emits for each whole space
// compiles for aarch64 (the JIT would compile exactly that on an Arm host).
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/family.h"
#include "runtime/error.h"
#include "runtime/kernel_spec.h"
#include "runtime/lut_config.h"
#include "tests/aarch64/lut_neon_configs.h"
#include "tests/aarch64/neondot_configs.h"

namespace {

using namespace trine;
namespace fs = std::filesystem;

std::vector<MadConfig> contract_configs() {
  std::vector<MadConfig> out;
#define TRINE_CONFIG(R, MB, NT, KU, PF, KB, S) out.push_back(MadConfig{Isa::neondot, R, MB, NT, KU, PF, KB, S, 0});
  TRINE_NEONDOT_CONFIGS(TRINE_CONFIG)
#undef TRINE_CONFIG
  return out;
}

constexpr int kKnobs = 8;
constexpr const char* kKnobNames[kKnobs] = {"r", "mb", "nt", "ku", "pf", "kb", "s", "d"};
std::vector<int> knobs(const MadConfig& c) { return {c.r, c.mb, c.nt, c.ku, c.pf, c.kb, c.split, c.dec}; }

std::vector<MadConfig> space(Op op) {
  std::vector<MadConfig> out;
  for (const codegen::Candidate& cand : codegen::mad_family().space(Isa::neondot, op)) {
    EXPECT_EQ(cand.isa, Isa::neondot);
    out.push_back(MadConfig::parse(Isa::neondot, cand.config));
  }
  return out;
}

TEST(MadNeonDot, SpaceLikeX86WithFourLanes) {
  EXPECT_EQ(vector_bytes(Isa::neondot), 16);
  for (Op op : {Op::gemv, Op::gemm}) {
    const std::vector<MadConfig> s = space(op);
    ASSERT_FALSE(s.empty()) << op_name(op);
    std::set<int> rs;
    for (const MadConfig& c : s) {
      rs.insert(c.r);
      EXPECT_EQ(c.dec, 0) << c.str();
      EXPECT_EQ(c.layout().vb, 16) << c.str();
      EXPECT_EQ(c.nt == 1, op == Op::gemv) << c.str();
    }
    EXPECT_EQ(rs, (std::set<int>{1, 2, 4})) << op_name(op);
    const MadConfig d = mad_default(Isa::neondot, op);
    EXPECT_EQ(d.violation(), "") << d.str();
    EXPECT_NE(std::find(s.begin(), s.end(), d), s.end()) << "default " << d.str() << " outside the space";
  }
}

TEST(MadNeonDot, IllegalConfigsAreRefusedWithTheReason) {
  auto why = [](const char* text) {
    try {
      MadConfig::parse(Isa::neondot, text);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(why("r8.mb1.nt1.ku1.pf0.kb0.s0.d0").find("must divide the 4 lanes"), std::string::npos);
  EXPECT_NE(why("r4.mb1.nt1.ku1.pf0.kb0.s0.d1").find("sdot"), std::string::npos);
  EXPECT_NE(why("r4.mb4.nt8.ku1.pf0.kb0.s0.d0").find("vector registers of 32"), std::string::npos);
  EXPECT_EQ(why("r4.mb2.nt12.ku1.pf0.kb0.s0.d0"), "accepted");  // 32 registers, not AVX2's 16
}

// Every value each knob takes in the family's neondot space (config -> knob values) appears in
// one of the configs the contract test lists, and both defaults are among them.
template <class C>
void expect_contract_covers_space(const codegen::Family& fam, const std::vector<C>& mine,
                                  const std::vector<std::string>& knob_names, std::vector<int> (*knobs)(const C&),
                                  C (*default_for)(Isa, Op), const char* list_file) {
  const size_t n = knob_names.size();
  std::vector<std::set<int>> listed(n);
  for (const C& c : mine) {
    EXPECT_EQ(c.violation(), "") << c.str() << " in " << list_file;
    const std::vector<int> v = knobs(c);
    for (size_t i = 0; i < n; ++i) listed[i].insert(v[i]);
  }
  for (Op op : {Op::gemv, Op::gemm}) {
    std::map<std::pair<size_t, int>, std::string> missing;  // (knob, value) -> a config of the space with it
    for (const codegen::Candidate& cand : fam.space(Isa::neondot, op)) {
      const std::vector<int> v = knobs(C::parse(Isa::neondot, cand.config));
      for (size_t i = 0; i < n; ++i)
        if (!listed[i].count(v[i])) missing.emplace(std::make_pair(i, v[i]), cand.config);
    }
    for (const auto& [kv, example] : missing)
      ADD_FAILURE() << fam.name() << " " << op_name(op) << " space has " << knob_names[kv.first] << "=" << kv.second
                    << " (e.g. " << example << ") but " << list_file << " never uses it";
    const C d = default_for(Isa::neondot, op);
    EXPECT_NE(std::find(mine.begin(), mine.end(), d), mine.end()) << "default " << d.str() << " not in " << list_file;
  }
}

TEST(MadNeonDot, ContractTestCoversEveryKnobValueOfTheSpace) {
  expect_contract_covers_space<MadConfig>(codegen::mad_family(), contract_configs(),
                                          std::vector<std::string>(kKnobNames, kKnobNames + kKnobs), &knobs,
                                          &mad_default, "tests/aarch64/neondot_configs.h");
}

std::vector<LutConfig> lut_contract_configs() {
  std::vector<LutConfig> out;
#define TRINE_CONFIG(G, R, MB, KG, TS, TR, NT, PF, S) \
  out.push_back(LutConfig{Isa::neondot, R, MB, KG, TS, TR, NT, PF, S, G});
  TRINE_LUT_NEON_CONFIGS(TRINE_CONFIG)
#undef TRINE_CONFIG
  return out;
}

std::vector<int> lut_knobs(const LutConfig& c) { return {c.g, c.r, c.mb, c.kg, c.ts, c.tr, c.nt, c.pf, c.split}; }

TEST(LutNeonDot, SpaceOfSixteenByteTables) {
  const codegen::Family& fam = codegen::lut_family();
  ASSERT_TRUE(fam.supports(Isa::neondot));
  for (Op op : {Op::gemv, Op::gemm}) {
    std::vector<LutConfig> s;
    for (const codegen::Candidate& cand : fam.space(Isa::neondot, op)) s.push_back(LutConfig::parse(Isa::neondot, cand.config));
    ASSERT_FALSE(s.empty()) << op_name(op);
    std::set<int> rs;
    for (const LutConfig& c : s) {
      rs.insert(c.r);
      EXPECT_EQ(c.layout().vb, 16) << c.str();
      EXPECT_NE(c.layout_key().find("/vb16/"), std::string::npos) << c.str();
      EXPECT_EQ(c.nt == 1, op == Op::gemv) << c.str();
    }
    EXPECT_EQ(rs, (std::set<int>{16, 32})) << op_name(op);
    const LutConfig d = lut_default(Isa::neondot, op);
    EXPECT_EQ(d.isa, Isa::neondot);
    EXPECT_NE(std::find(s.begin(), s.end(), d), s.end()) << "default " << d.str() << " outside the space";
  }
}

TEST(LutNeonDot, ContractTestCoversEveryKnobValueOfTheSpace) {
  expect_contract_covers_space<LutConfig>(codegen::lut_family(), lut_contract_configs(),
                                          {"g", "r", "mb", "kg", "ts", "tr", "nt", "pf", "s"}, &lut_knobs, &lut_default,
                                          "tests/aarch64/lut_neon_configs.h");
}

// Where the cross compiler is installed: the source codegen generates for every candidate of a
// family's neondot space, with the embedded template headers the JIT would use, compiles for
// aarch64 and defines every symbol. -O1 keeps the instantiations to well under a minute.
void expect_space_compiles_for_aarch64(const codegen::Family& fam, const char* traits) {
#ifndef TRINE_AARCH64_CXX
  GTEST_SKIP() << "aarch64-linux-gnu-g++ not found at configure time (Debian package g++-aarch64-linux-gnu)";
#else
  std::vector<codegen::Candidate> cands = fam.space(Isa::neondot, Op::gemv);
  for (const codegen::Candidate& c : fam.space(Isa::neondot, Op::gemm)) cands.push_back(c);
  const std::string src = fam.source(cands);
  ASSERT_NE(src.find(traits), std::string::npos);

  const fs::path dir = fs::temp_directory_path() / ("trine_neondot_" + fam.name() + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  for (const jit::SourceFile& h : fam.headers()) {
    fs::create_directories((dir / h.path).parent_path());
    std::ofstream(dir / h.path) << h.text;
  }
  std::ofstream(dir / "space.cpp") << src;
  const std::string cmd = std::string(TRINE_AARCH64_CXX) + " -std=c++20 -O1 -march=armv8.2-a+dotprod -c -I" +
                          dir.string() + " " + (dir / "space.cpp").string() + " -o " + (dir / "space.o").string() +
                          " 2>&1 && " + TRINE_AARCH64_NM + " --defined-only " + (dir / "space.o").string();
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = pclose(p);
  fs::remove_all(dir);
  ASSERT_EQ(rc, 0) << cmd << "\n" << out.substr(0, 4000);
  for (const codegen::Candidate& c : cands)
    EXPECT_NE(out.find(" T " + c.symbol + "\n"), std::string::npos) << c.symbol << " not defined";
#endif
}

TEST(MadNeonDot, GeneratedSourceForTheWholeSpaceCompilesForAarch64) {
  expect_space_compiles_for_aarch64(codegen::mad_family(), "trine::mad::NeonDot");
}

TEST(LutNeonDot, GeneratedSourceForTheWholeSpaceCompilesForAarch64) {
  expect_space_compiles_for_aarch64(codegen::lut_family(), "trine::lut::Neon,");
}

}  // namespace
