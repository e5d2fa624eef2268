// The Halide family: its config texts and spaces, its packing (MAD's layout), the instructions
// Halide emits, and every config of both spaces against the scalar reference bit for bit. It
// needs the code generator (and Halide), which only JIT builds link.
#ifdef TRINE_HAVE_JIT
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "codegen/family.h"
#include "codegen/jit_provider.h"
#include "codegen/tuner.h"
#include "codegen/halide_pipeline.h"
#include "runtime/error.h"
#include "runtime/halide_config.h"
#include "runtime/host.h"
#include "runtime/kernel_spec.h"
#include "runtime/problems.h"
#include "runtime/registry.h"

namespace {

using trine::HalideConfig;
using trine::Isa;
using trine::Op;
using trine::codegen::Candidate;
using trine::codegen::halide_family;

const Isa kIsas[] = {Isa::avx2, Isa::avx512vnni};

bool host_has(Isa isa) {
  const auto& h = trine::host_info();
  if (isa == Isa::avx2) return h.has("avx2") && h.has("fma");
  return h.has("avx512f") && h.has("avx512bw") && h.has("avx512vl") && h.has("avx512vnni");
}

TEST(HalideFamily, SpacesAreSmallLegalAndDistinct) {
  const auto& f = halide_family();
  EXPECT_EQ("halide", f.name());
  EXPECT_TRUE(f.compiles_natively());
  EXPECT_FALSE(f.supports(Isa::neondot));
  EXPECT_FALSE(f.supports(Isa::avxvnni));
  EXPECT_TRUE(f.space(Isa::avxvnni, Op::gemv).empty());
  for (Isa isa : kIsas) {
    EXPECT_TRUE(f.supports(isa));
    for (Op op : {Op::gemv, Op::gemm}) {
      const auto space = f.space(isa, op);
      EXPECT_GE(space.size(), 4u) << trine::isa_name(isa) << " " << trine::op_name(op);
      EXPECT_LE(space.size(), 24u) << trine::isa_name(isa) << " " << trine::op_name(op);
      std::set<std::string> symbols;
      for (const auto& c : space) {
        const HalideConfig cfg = HalideConfig::parse(isa, c.config);  // throws if illegal
        EXPECT_EQ(c.config, cfg.str());
        EXPECT_EQ(c.symbol, cfg.symbol());
        EXPECT_EQ(c.layout_key, cfg.layout_key());
        EXPECT_EQ("halide", c.family);
        EXPECT_EQ(op == Op::gemv, cfg.nt == 1) << c.config;
        symbols.insert(c.symbol);
      }
      EXPECT_EQ(symbols.size(), space.size());
      const auto def = f.default_candidate(isa, op);
      EXPECT_TRUE(symbols.count(def.symbol)) << def.config;
    }
  }
}

void expect_rejected(Isa isa, const std::string& text, const std::string& why) {
  try {
    HalideConfig::parse(isa, text);
    ADD_FAILURE() << text << " was accepted";
  } catch (const trine::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(text), std::string::npos) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << msg;
  }
}

TEST(HalideFamily, BadConfigsAreRejected) {
  expect_rejected(Isa::avx512vnni, "v64.r16.nb4", "expected v<V>");
  expect_rejected(Isa::avx512vnni, "v64.r16.nb4.nt1.ku2.pf0.g0x", "expected v<V>");
  expect_rejected(Isa::avx512vnni, "v64.r16.nb4.nt1.ku2.g0", "expected v<V>");
  expect_rejected(Isa::avx512vnni, "v64.r16.nb4.nt1.ku2.pf-64.g0", "pf=-64");
  expect_rejected(Isa::avx512vnni, "v32.r8.nb4.nt1.ku1.pf0.g0", "v=32");
  expect_rejected(Isa::avx2, "v64.r16.nb4.nt1.ku1.pf0.g0", "v=64");
  expect_rejected(Isa::avx512vnni, "v64.r4.nb4.nt1.ku1.pf0.g0", "r=4 must be v/4");
  expect_rejected(Isa::avx512vnni, "v64.r16.nb9.nt1.ku1.pf0.g0", "nb=9");
  expect_rejected(Isa::avx512vnni, "v64.r16.nb1.nt17.ku1.pf0.g0", "nt=17");
  expect_rejected(Isa::avx512vnni, "v64.r16.nb1.nt1.ku5.pf0.g0", "ku=5");
  expect_rejected(Isa::avx512vnni, "v64.r16.nb1.nt1.ku1.pf0.g-1", "g=-1");
  expect_rejected(Isa::avx2, "v32.r8.nb4.nt4.ku1.pf0.g0", "vector registers");
  expect_rejected(Isa::avxvnni, "v32.r8.nb4.nt1.ku1.pf0.g0", "no avxvnni kernels");
  EXPECT_THROW(halide_family().candidate(Isa::avx2, "nonsense"), trine::Error);
  EXPECT_THROW(trine::kernel_layout_key("halide", Isa::avx2, "v32.r8"), trine::Error);
}

// The Halide kernels read MAD's bytes: the registry, the family and MAD agree on them.
TEST(HalideFamily, PackIsMadsLayout) {
  for (auto [M, K] : {std::pair{17, 45}, std::pair{640, 2560}, std::pair{1, 1}}) {
    const trine::Problem p = trine::make_problem(trine::ProblemKind::random, M, K, 1, 3);
    for (Isa isa : kIsas) {
      const Candidate def = halide_family().default_candidate(isa, Op::gemv);
      const trine::PackedWeights mine = halide_family().pack(def, p.W);
      const std::string mad_cfg = trine::mad_default(isa, Op::gemv).str();
      const trine::PackedWeights mad = trine::pack_for_kernel("mad", isa, mad_cfg, p.W);
      EXPECT_EQ(trine::kernel_layout_key("mad", isa, mad_cfg), def.layout_key);
      EXPECT_EQ(trine::kernel_layout_key("halide", isa, def.config), def.layout_key);
      ASSERT_EQ(mad.size_bytes(), mine.size_bytes());
      EXPECT_EQ(0, std::memcmp(mad.bytes.data(), mine.bytes.data(), mine.size_bytes()));
      EXPECT_EQ(static_cast<int64_t>(mine.size_bytes()), trine::kernel_packed_bytes("halide", isa, def.config, M, K));
      EXPECT_EQ(static_cast<int64_t>(mine.size_bytes()), halide_family().packed_bytes(def, M, K));
    }
  }
}

// AVX-512: vpdpbusd on zmm only (Halide's Sapphire Rapids CPU also has VEX AVX-VNNI, which Zen 4
// lacks), no AMX; AVX2: no AVX-512 register at all.
TEST(HalideFamily, EmitsOnlyWhatTheIsaHas) {
  for (Isa isa : kIsas) {
    const HalideConfig c = trine::halide_default(isa, Op::gemv);
    trine::codegen::halide::PipelineSpec s;
    s.vb = c.v;
    s.r = c.r;
    s.nb = c.nb;
    s.ku = c.ku;
    s.avx512 = isa == Isa::avx512vnni;
    s.vnni = s.avx512;
    const std::string text = trine::codegen::halide::assembly(s);
    ASSERT_FALSE(text.empty());
    std::istringstream in(text);
    std::string line;
    int dots = 0;
    while (std::getline(in, line)) {
      if (line.find("vpdpbusd") != std::string::npos) {
        ++dots;
        EXPECT_NE(line.find("zmm"), std::string::npos) << line;
        EXPECT_EQ(line.find("ymm"), std::string::npos) << line;
        EXPECT_EQ(line.find("xmm"), std::string::npos) << line;
      }
      EXPECT_EQ(line.find("{vex}"), std::string::npos) << line;
      EXPECT_EQ(line.find("\ttdp"), std::string::npos) << line;
      EXPECT_EQ(line.find("\ttile"), std::string::npos) << line;
      if (isa == Isa::avx2) EXPECT_EQ(line.find("zmm"), std::string::npos) << line;
    }
    if (isa == Isa::avx512vnni) EXPECT_GT(dots, 0);
    else EXPECT_EQ(dots, 0);
  }
}

void expect_exact(const Candidate& cand, trine_gemm_fn fn, const trine::Problem& p, int nthreads) {
  const trine::PackedWeights pw = halide_family().pack(cand, p.W);
  trine::GemmWorkspace ws;
  ws.prepare(p.acts, p.W.wscale, nthreads);
  std::vector<float> y(static_cast<size_t>(p.acts.N) * p.W.M, -12345.0f);
  trine_gemm_args args = trine::make_gemm_args(pw.bytes.data(), p.W.M, p.W.K, p.acts, ws, y.data(), p.W.M);
  for (int tid = 0; tid < nthreads; ++tid) fn(&args, tid, nthreads);
  ASSERT_EQ(0, std::memcmp(y.data(), p.y_ref.data(), y.size() * sizeof(float)))
      << cand.config << " " << p.name << " M=" << p.W.M << " K=" << p.W.K << " N=" << p.acts.N
      << " threads=" << nthreads;
}

// Every config of the ISA's space for op (and the default), on the shapes given: random data, the
// edge kinds (all +-1 weights, +-127 activations) and odd shapes hitting every tail.
void expect_space_exact(Isa isa, Op op, const std::vector<std::array<int, 3>>& shapes) {
  if (!host_has(isa)) GTEST_SKIP() << "host has no " << trine::isa_name(isa);
  std::vector<Candidate> cands = halide_family().space(isa, op);
  const Candidate def = halide_family().default_candidate(isa, op);
  if (std::find(cands.begin(), cands.end(), def) == cands.end()) cands.push_back(def);
  trine::jit::Jit jit(trine::jit::host_target_capped(isa), "");
  const auto fns = halide_family().compile_native(jit, cands);
  ASSERT_EQ(cands.size(), fns.size());
  for (std::size_t i = 0; i < cands.size(); ++i) {
    ASSERT_NE(nullptr, fns[i].fn) << cands[i].config << ": " << fns[i].error;
    for (const auto& [M, K, N] : shapes)
      for (const trine::Problem& p : trine::verification_problems(M, K, N, 42)) {
        expect_exact(cands[i], fns[i].fn, p, 1);
        expect_exact(cands[i], fns[i].fn, p, 3);
      }
  }
}

TEST(HalideContract, Avx512GemvSpace) {
  expect_space_exact(Isa::avx512vnni, Op::gemv, {{640, 2560, 1}, {333, 999, 1}, {17, 45, 1}, {1, 1, 1}});
}
TEST(HalideContract, Avx512GemmSpace) {
  expect_space_exact(Isa::avx512vnni, Op::gemm, {{160, 512, 13}, {70, 1500, 5}, {33, 300, 2}});
}
TEST(HalideContract, Avx2GemvSpace) {
  expect_space_exact(Isa::avx2, Op::gemv, {{640, 2560, 1}, {333, 999, 1}, {17, 45, 1}, {1, 1, 1}});
}
TEST(HalideContract, Avx2GemmSpace) {
  expect_space_exact(Isa::avx2, Op::gemm, {{160, 512, 13}, {70, 1500, 5}, {33, 300, 2}});
}

// int32 sums stay exact where the largest accumulator is reached: all +1 weights times +127.
TEST(HalideContract, ExactAtLargeK) {
  for (Isa isa : kIsas) {
    if (!host_has(isa)) continue;
    for (Op op : {Op::gemv, Op::gemm}) {
      const Candidate def = halide_family().default_candidate(isa, op);
      trine::jit::Jit jit(trine::jit::host_target_capped(isa), "");
      const auto fns = halide_family().compile_native(jit, {def});
      ASSERT_NE(nullptr, fns[0].fn) << fns[0].error;
      for (auto kind : {trine::ProblemKind::saturate_pos, trine::ProblemKind::saturate_neg})
        expect_exact(def, fns[0].fn, trine::make_problem(kind, 40, 40000, op == Op::gemv ? 1 : 3, 7), 2);
    }
  }
}

// Halide's objects go through the JIT's on-disk cache: a second JIT on the same directory loads
// every pipeline and compiles none, configs differing only in g share one object, and the
// kernels it loads are as exact as fresh ones.
TEST(HalideFamily, ObjectsAreCachedOnDisk) {
  namespace fs = std::filesystem;
  const Isa isa = host_has(Isa::avx512vnni) ? Isa::avx512vnni : Isa::avx2;
  if (!host_has(isa)) GTEST_SKIP() << "host has no " << trine::isa_name(isa);
  const fs::path dir = fs::temp_directory_path() / ("trine_halide_cache_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  HalideConfig c = trine::halide_default(isa, Op::gemv);
  c.g = 0;
  const Candidate a = halide_family().candidate(isa, c.str());
  c.g = 4;
  const Candidate b = halide_family().candidate(isa, c.str());
  {
    trine::jit::Jit jit(trine::jit::host_target_capped(isa), dir.string());
    const auto fns = halide_family().compile_native(jit, {a, b});
    ASSERT_NE(nullptr, fns[0].fn) << fns[0].error;
    ASSERT_NE(nullptr, fns[1].fn) << fns[1].error;
    EXPECT_NE(fns[0].fn, fns[1].fn);  // same pipeline, different wrapper schedule
    EXPECT_EQ(1u, jit.counters().compiles);
    EXPECT_EQ(0u, jit.counters().cache_hits);
  }
  trine::jit::Jit again(trine::jit::host_target_capped(isa), dir.string());
  const auto fns = halide_family().compile_native(again, {b, a});
  EXPECT_EQ(0u, again.counters().compiles);
  EXPECT_EQ(1u, again.counters().cache_hits);
  for (const auto& f : fns) {
    ASSERT_NE(nullptr, f.fn) << f.error;
    for (const trine::Problem& p : trine::verification_problems(333, 999, 1, 9)) expect_exact(a, f.fn, p, 3);
  }
  fs::remove_all(dir);
}

// What `trine aot` ships: one relocatable object per pipeline that needs nothing from Halide's
// runtime, and wrappers that call it through the glue header.
TEST(HalideFamily, AotObjectsStandAlone) {
  for (Isa isa : kIsas) {
    const Candidate gemv = halide_family().default_candidate(isa, Op::gemv);
    const Candidate gemm = halide_family().default_candidate(isa, Op::gemm);
    const auto objects = halide_family().aot_objects({gemv, gemm, gemv});
    ASSERT_EQ(2u, objects.size());
    const std::string src = halide_family().source({gemv, gemm});
    EXPECT_NE(src.find("#include \"templates/cpu/halide_glue.h\""), std::string::npos) << src;
    for (const auto& o : objects) {
      ASSERT_GT(o.bytes.size(), 64u);
      EXPECT_EQ(0, o.bytes.compare(0, 4, "\x7f" "ELF"));
      const std::string fn = o.name.substr(0, o.name.size() - 2);  // "<pipeline>.o"
      EXPECT_NE(src.find("int " + fn + "("), std::string::npos) << src;
      // It links alone: libHalide exports no runtime functions, so any reference to Halide's
      // runtime would stay unresolved and fail here.
      trine::jit::Jit jit(trine::jit::host_target_capped(isa), "");
      const auto mod = jit.add_object(o.name, {o.name}, [&] { return o.bytes; });
      EXPECT_NE(nullptr, jit.lookup(mod, fn));
    }
    for (const Candidate& c : {gemv, gemm}) EXPECT_NE(src.find("void " + c.symbol + "("), std::string::npos) << src;
  }
}

// The whole path: tune searches the Halide family, verifies and stores its winners, and the JIT
// provider inference uses picks them for decode and prefill and runs them exactly.
TEST(HalideTune, WinnersAreStoredAndRunByTheJitProvider) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("trine_halide_tune_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    trine::TuningDb db((dir / "t.db").string());
    trine::ThreadPool pool(2);
    trine::codegen::CompilerSet compilers((dir / "obj").string());
    trine::codegen::Tuner tuner(db, compilers, pool, trine::host_info());
    trine::codegen::TuneOptions o;
    o.shapes = {{96, 512, 1, ""}, {96, 512, 128, ""}};
    o.isas = {trine::usable_isas(trine::host_info()).front()};
    if (!halide_family().supports(o.isas[0])) GTEST_SKIP() << "no Halide kernels for " << trine::isa_name(o.isas[0]);
    o.families = {&halide_family()};
    o.budget_s = 30;
    o.cold_bytes = 8u << 20;
    const auto results = tuner.tune(o);
    ASSERT_EQ(2u, results.size());
    for (const auto& r : results) {
      EXPECT_EQ("halide", r.winner.family);
      EXPECT_EQ(0, r.verify_failed);
      EXPECT_EQ(0, r.compile_failed);
      EXPECT_EQ(r.winner.config, db.winner(r.key)->config);
    }

    trine::codegen::JitKernelProvider provider(compilers, &db, trine::host_info(), o.isas);
    for (int N : {1, 128, 7}) {
      const trine::Problem p = trine::make_problem(trine::ProblemKind::random, 96, 512, N, 5);
      const trine::PreparedMatmul pm = provider.prepare(p.W, 2);
      EXPECT_EQ(0u, pm.gemv_desc.find("halide")) << pm.gemv_desc;
      EXPECT_EQ(0u, pm.gemm_desc.find("halide")) << pm.gemm_desc;
      EXPECT_NE(std::string::npos, pm.gemv_desc.find("tuned")) << pm.gemv_desc;
      trine::GemmWorkspace ws;
      ws.prepare(p.acts, p.W.wscale, pool.size());
      std::vector<float> y(static_cast<size_t>(N) * p.W.M, -1.0f);
      const trine_gemm_args args = trine::make_gemm_args(pm.packed.bytes.data(), p.W.M, p.W.K, p.acts, ws, y.data(), p.W.M);
      trine::run_gemm(pool, N == 1 ? pm.gemv : pm.gemm, args);
      EXPECT_EQ(0, std::memcmp(y.data(), p.y_ref.data(), y.size() * sizeof(float))) << "N=" << N;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
#endif
