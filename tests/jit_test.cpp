// The in-process JIT: clang -> ORC, the object cache, target capping, errors and unloading.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "jit/jit.h"

namespace fs = std::filesystem;
using trine::Isa;
using trine::jit::CompileError;
using trine::jit::Jit;
using trine::jit::SourceFile;
using trine::jit::Target;

namespace {

bool has_feature(const Target& t, const std::string& f) {
  return std::find(t.features.begin(), t.features.end(), f) != t.features.end();
}

// A header only the JIT can see, included by path, plus the compiler's own <immintrin.h>.
const std::vector<SourceFile> kHeaders = {
    {"templates/test/vec.h",
     "#pragma once\n"
     "#include <immintrin.h>\n"
     "#include \"scale.h\"\n"             // relative to this header's directory
     "#include \"../common/bias.h\"\n"    // and through a parent directory
     "inline __m256i add8(__m256i a, __m256i b) { return _mm256_add_epi32(a, b); }\n"},
    {"templates/test/scale.h", "#pragma once\nconstexpr int kScale = 3;\n"},
    {"templates/common/bias.h", "#pragma once\nconstexpr int kBias = 1;\n"},
};

const char* kAvx2Source = R"(
#include <cstdint>
#include <algorithm>
#include "templates/test/vec.h"
extern "C" int32_t dot8(const int32_t* a, const int32_t* b) {
  __m256i s = add8(_mm256_loadu_si256((const __m256i*)a), _mm256_loadu_si256((const __m256i*)b));
  alignas(32) int32_t out[8];
  _mm256_store_si256((__m256i*)out, s);
  int32_t total = 0;
  for (int i = 0; i < 8; ++i) total += out[i] * kScale;
  return std::max(total + kBias, -100000);
}
)";

using Dot8 = int32_t (*)(const int32_t*, const int32_t*);

// 1 + sum over i of kScale * (a[i] + b[i]) for the fixed inputs below.
int32_t run_dot8(void* fn) {
  const int32_t a[8] = {1, 2, 3, 4, 5, 6, 7, -1000};
  const int32_t b[8] = {10, 20, 30, 40, 50, 60, 70, 80};
  return reinterpret_cast<Dot8>(fn)(a, b);
}
constexpr int32_t kSumAB = 1 + 2 + 3 + 4 + 5 + 6 + 7 - 1000 + 10 + 20 + 30 + 40 + 50 + 60 + 70 + 80;
constexpr int32_t kDot8Expected = 3 * kSumAB + 1;

class JitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/trine-jit-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    if (!has_feature(trine::jit::host_target(), "+avx2")) GTEST_SKIP() << "host has no AVX2";
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::vector<fs::path> cached_objects() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ".o") out.push_back(e.path());
    return out;
  }
  std::string dir_;
};

TEST_F(JitTest, CompilesAvx2SourceWithInMemoryHeaders) {
  Jit jit(trine::jit::host_target(), dir_);
  auto id = jit.add("dot8", kAvx2Source, kHeaders);
  EXPECT_EQ(run_dot8(jit.lookup(id, "dot8")), kDot8Expected);
  EXPECT_EQ(kDot8Expected, -1835);
  EXPECT_EQ(jit.counters().compiles, 1u);
  EXPECT_EQ(jit.counters().cache_hits, 0u);
  EXPECT_GT(jit.counters().compile_seconds, 0.0);
  EXPECT_EQ(cached_objects().size(), 1u);
}

TEST_F(JitTest, SecondJitLoadsFromCacheWithoutCompiling) {
  {
    Jit first(trine::jit::host_target(), dir_);
    auto id = first.add("dot8", kAvx2Source, kHeaders);
    EXPECT_EQ(run_dot8(first.lookup(id, "dot8")), kDot8Expected);
  }
  Jit second(trine::jit::host_target(), dir_);
  auto id = second.add("dot8", kAvx2Source, kHeaders);
  EXPECT_EQ(second.counters().compiles, 0u);
  EXPECT_EQ(second.counters().cache_hits, 1u);
  EXPECT_EQ(second.counters().compile_seconds, 0.0);
  EXPECT_EQ(run_dot8(second.lookup(id, "dot8")), kDot8Expected);
}

TEST_F(JitTest, CacheKeyCoversHeadersAndTarget) {
  Jit jit(trine::jit::host_target(), dir_);
  jit.add("dot8", kAvx2Source, kHeaders);
  auto headers = kHeaders;
  headers[1].text = "#pragma once\nconstexpr int kScale = 5;\n";
  auto id = jit.add("dot8", kAvx2Source, headers);
  EXPECT_EQ(run_dot8(jit.lookup(id, "dot8")), 5 * kSumAB + 1);
  EXPECT_EQ(5 * kSumAB + 1, -3059);
  EXPECT_EQ(jit.counters().compiles, 2u);
  EXPECT_EQ(jit.counters().cache_hits, 0u);

  // Same source, header order swapped: same key.
  std::vector<SourceFile> swapped = {kHeaders[2], kHeaders[1], kHeaders[0]};
  jit.add("dot8", kAvx2Source, swapped);
  EXPECT_EQ(jit.counters().cache_hits, 1u);

  Jit capped(trine::jit::host_target_capped(Isa::avx2), dir_);
  capped.add("dot8", kAvx2Source, kHeaders);
  bool host_has_more = trine::jit::host_target().key() != capped.target().key();
  EXPECT_EQ(capped.counters().compiles, host_has_more ? 1u : 0u);
  EXPECT_EQ(capped.counters().cache_hits, host_has_more ? 0u : 1u);
}

TEST_F(JitTest, NoCacheDirMeansNoCache) {
  Jit a(trine::jit::host_target(), "");
  a.add("dot8", kAvx2Source, kHeaders);
  a.add("dot8", kAvx2Source, kHeaders);
  EXPECT_EQ(a.counters().compiles, 2u);
  EXPECT_EQ(a.counters().cache_hits, 0u);
  EXPECT_TRUE(cached_objects().empty());
}

TEST_F(JitTest, SyntaxErrorThrowsWithClangDiagnostics) {
  Jit jit(trine::jit::host_target(), dir_);
  try {
    jit.add("broken_kernel", "extern \"C\" int f() { return 1 }\n", {});
    FAIL() << "expected CompileError";
  } catch (const CompileError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("compiling broken_kernel failed"), std::string::npos) << msg;
    EXPECT_NE(msg.find("broken_kernel.cpp:1:30: error: expected ';' after return statement"), std::string::npos)
        << msg;
  }
  EXPECT_EQ(jit.counters().compiles, 1u);
  EXPECT_TRUE(cached_objects().empty());
}

TEST_F(JitTest, MissingHeaderIsACompileError) {
  Jit jit(trine::jit::host_target(), dir_);
  try {
    jit.add("nohdr", "#include \"templates/cpu/absent.h\"\n", {});
    FAIL() << "expected CompileError";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("'templates/cpu/absent.h' file not found"), std::string::npos) << e.what();
  }
}

TEST_F(JitTest, UnresolvedSymbolFailsAtAdd) {
  Jit jit(trine::jit::host_target(), dir_);
  const char* src = "extern \"C\" int trine_no_such_function(int);\n"
                    "extern \"C\" int g(int x) { return trine_no_such_function(x) + 1; }\n";
  try {
    jit.add("unresolved", src, {});
    FAIL() << "expected CompileError";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("trine_no_such_function"), std::string::npos) << e.what();
  }
  // The JIT stays usable.
  auto id = jit.add("dot8", kAvx2Source, kHeaders);
  EXPECT_EQ(run_dot8(jit.lookup(id, "dot8")), kDot8Expected);
}

TEST_F(JitTest, LookupOfAbsentSymbolThrows) {
  Jit jit(trine::jit::host_target(), dir_);
  auto id = jit.add("dot8", kAvx2Source, kHeaders);
  EXPECT_THROW(jit.lookup(id, "dot9"), trine::Error);
  EXPECT_THROW(jit.lookup(id, "printf"), trine::Error);  // process symbols are not the module's
  EXPECT_THROW(jit.lookup(id + 100, "dot8"), trine::Error);
}

TEST_F(JitTest, RemoveFreesModuleAndRunsDestructors) {
  Jit jit(trine::jit::host_target(), dir_);
  const char* src = R"(
    static void (*g_on_destroy)(int) = nullptr;
    struct Tracker {
      int v, tag;
      explicit Tracker(int t) : v(40 + t), tag(t) {}
      ~Tracker() { if (g_on_destroy) g_on_destroy(tag); }
    };
    Tracker g_global(2);                       // llvm.global_ctors
    extern "C" void set_hook(void (*f)(int)) { g_on_destroy = f; }
    extern "C" int global_value() { return g_global.v; }
    extern "C" int local_value() { static Tracker t(5); return t.v; }  // __cxa_atexit at first call
  )";
  static std::vector<int> destroyed;
  destroyed.clear();
  auto id = jit.add("tracker", src, {});
  reinterpret_cast<void (*)(void (*)(int))>(jit.lookup(id, "set_hook"))([](int tag) { destroyed.push_back(tag); });
  EXPECT_EQ(reinterpret_cast<int (*)()>(jit.lookup(id, "global_value"))(), 42);
  EXPECT_EQ(reinterpret_cast<int (*)()>(jit.lookup(id, "local_value"))(), 45);
  EXPECT_TRUE(destroyed.empty());

  jit.remove(id);
  EXPECT_EQ(destroyed, (std::vector<int>{5, 2}));
  EXPECT_THROW(jit.lookup(id, "global_value"), trine::Error);
  EXPECT_THROW(jit.remove(id), trine::Error);

  // Same source again (now a cache hit) gets a fresh module with fresh statics.
  auto id2 = jit.add("tracker", src, {});
  EXPECT_NE(id2, id);
  EXPECT_EQ(jit.counters().cache_hits, 1u);
  EXPECT_EQ(reinterpret_cast<int (*)()>(jit.lookup(id2, "global_value"))(), 42);
  jit.remove(id2);
  EXPECT_EQ(destroyed, (std::vector<int>{5, 2}));  // hook not set in the new module
}

TEST_F(JitTest, ModulesMayDefineTheSameSymbol) {
  Jit jit(trine::jit::host_target(), dir_);
  auto a = jit.add("a", "extern \"C\" int which() { return 1; }", {});
  auto b = jit.add("b", "extern \"C\" int which() { return 2; }", {});
  EXPECT_EQ(reinterpret_cast<int (*)()>(jit.lookup(a, "which"))(), 1);
  EXPECT_EQ(reinterpret_cast<int (*)()>(jit.lookup(b, "which"))(), 2);
  jit.remove(a);
  EXPECT_EQ(reinterpret_cast<int (*)()>(jit.lookup(b, "which"))(), 2);
}

TEST_F(JitTest, CallsLibcAndLibm) {
  Jit jit(trine::jit::host_target(), dir_);
  const char* src = R"(
    #include <cmath>
    #include <cstring>
    #include <vector>
    extern "C" float my_cos(float x) { return std::cos(x); }
    extern "C" unsigned long my_len(const char* s) { std::vector<char> v(s, s + std::strlen(s)); return v.size(); }
  )";
  auto id = jit.add("libc", src, {});
  volatile float x = 0.73f;
  EXPECT_EQ(reinterpret_cast<float (*)(float)>(jit.lookup(id, "my_cos"))(x), std::cos(static_cast<float>(x)));
  EXPECT_EQ(reinterpret_cast<unsigned long (*)(const char*)>(jit.lookup(id, "my_len"))("ternary"), 7ul);
}

TEST_F(JitTest, NoFloatContraction) {
  Jit jit(trine::jit::host_target(), dir_);
  auto id = jit.add("mac", "extern \"C\" float mac(float a, float b, float c) { return a * b + c; }", {});
  // a*b = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11, so a*b + c is 0; a fused multiply-add gives 2^-24.
  float a = 1.0f + std::ldexp(1.0f, -12);
  float c = -(1.0f + std::ldexp(1.0f, -11));
  EXPECT_EQ(reinterpret_cast<float (*)(float, float, float)>(jit.lookup(id, "mac"))(a, a, c), 0.0f);
}

TEST_F(JitTest, CorruptCachedObjectIsRecompiled) {
  {
    Jit jit(trine::jit::host_target(), dir_);
    jit.add("dot8", kAvx2Source, kHeaders);
  }
  auto objects = cached_objects();
  ASSERT_EQ(objects.size(), 1u);
  const fs::path obj = objects[0];
  std::string good;
  {
    std::ifstream in(obj, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(good.size(), 200u);

  const std::vector<std::string> corruptions = {
      good.substr(0, good.size() / 2),                                  // truncated
      std::string(good.size(), '\x5a'),                                 // garbage
      [&] { std::string s = good; s[s.size() / 3] ^= 0x40; return s; }(),  // one flipped bit
      "",                                                               // empty
  };
  for (const std::string& bad : corruptions) {
    {
      std::ofstream out(obj, std::ios::binary | std::ios::trunc);
      out.write(bad.data(), static_cast<std::streamsize>(bad.size()));
    }
    Jit jit(trine::jit::host_target(), dir_);
    auto id = jit.add("dot8", kAvx2Source, kHeaders);
    EXPECT_EQ(jit.counters().compiles, 1u);
    EXPECT_EQ(jit.counters().cache_hits, 0u);
    EXPECT_EQ(run_dot8(jit.lookup(id, "dot8")), kDot8Expected);
  }
  // The last recompile rewrote a good object.
  Jit jit(trine::jit::host_target(), dir_);
  auto id = jit.add("dot8", kAvx2Source, kHeaders);
  EXPECT_EQ(jit.counters().cache_hits, 1u);
  EXPECT_EQ(run_dot8(jit.lookup(id, "dot8")), kDot8Expected);
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().extension(), ".o") << "leftover temporary " << e.path();
}

TEST(JitTarget, HostTargetIsBaselinePlusSortedFeatures) {
  Target t = trine::jit::host_target();
  EXPECT_EQ(t.cpu, "x86-64");
  EXPECT_EQ(t.triple.rfind("x86_64-", 0), 0u) << t.triple;
  ASSERT_FALSE(t.features.empty());
  EXPECT_TRUE(std::is_sorted(t.features.begin(), t.features.end()));
  for (const std::string& f : t.features) EXPECT_TRUE(f[0] == '+' || f[0] == '-') << f;
  std::string key = t.key();
  EXPECT_EQ(key.rfind(t.triple + ";x86-64;", 0), 0u) << key;
  EXPECT_NE(key.find(t.features.front()), std::string::npos);
  EXPECT_EQ(key, trine::jit::host_target().key());
}

TEST(JitTarget, CappingSwitchesOffLaterIsas) {
  Target host = trine::jit::host_target();
  Target avx2 = trine::jit::host_target_capped(Isa::avx2);
  Target vnni = trine::jit::host_target_capped(Isa::avxvnni);
  Target full = trine::jit::host_target_capped(Isa::avx512vnni);
  EXPECT_EQ(full.key(), host.key());
  ASSERT_EQ(avx2.features.size(), host.features.size());
  for (const std::string& f : avx2.features) {
    EXPECT_NE(f.rfind("+avx512", 0), 0u) << f;
    EXPECT_NE(f.rfind("+amx", 0), 0u) << f;
    EXPECT_NE(f, "+avxvnni");
  }
  for (const std::string& f : vnni.features) {
    EXPECT_NE(f.rfind("+avx512", 0), 0u) << f;
    EXPECT_NE(f.rfind("+amx", 0), 0u) << f;
  }
  EXPECT_FALSE(has_feature(avx2, "+avx512f"));
  EXPECT_EQ(has_feature(avx2, "+avx2"), has_feature(host, "+avx2"));
  EXPECT_EQ(has_feature(avx2, "+fma"), has_feature(host, "+fma"));
  EXPECT_EQ(has_feature(vnni, "+avxvnni"), has_feature(host, "+avxvnni"));
  if (has_feature(host, "+avx512f")) {
    EXPECT_TRUE(has_feature(avx2, "-avx512f"));
    EXPECT_NE(avx2.key(), host.key());
  }
}

TEST_F(JitTest, Avx512IntrinsicRejectedUnderAvx2Cap) {
  const char* src = R"(
    #include <immintrin.h>
    extern "C" int sum16(const int* p) { return _mm512_reduce_add_epi32(_mm512_loadu_si512(p)); }
  )";
  Jit capped(trine::jit::host_target_capped(Isa::avx2), dir_);
  try {
    capped.add("avx512_kernel", src, {});
    FAIL() << "AVX-512 code compiled for an AVX2-capped target";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("requires target feature 'avx512f'"), std::string::npos) << e.what();
  }
  if (!has_feature(trine::jit::host_target(), "+avx512f")) return;
  Jit full(trine::jit::host_target(), dir_);
  auto id = full.add("avx512_kernel", src, {});
  int v[16];
  for (int i = 0; i < 16; ++i) v[i] = i * i - 7;
  EXPECT_EQ(reinterpret_cast<int (*)(const int*)>(full.lookup(id, "sum16"))(v), 1240 - 112);
}

TEST(JitStatics, CompilerVersionAndCacheDir) {
  EXPECT_EQ(Jit::compiler_version(), "clang-14.0.6");
  std::string old_xdg = getenv("XDG_CACHE_HOME") ? getenv("XDG_CACHE_HOME") : "";
  std::string old_home = getenv("HOME") ? getenv("HOME") : "";
  bool had_xdg = getenv("XDG_CACHE_HOME") != nullptr;
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  setenv("HOME", "/h/me", 1);
  EXPECT_EQ(Jit::default_cache_dir(), "/x/cache/trine/objects");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(Jit::default_cache_dir(), "/h/me/.cache/trine/objects");
  setenv("XDG_CACHE_HOME", "", 1);
  EXPECT_EQ(Jit::default_cache_dir(), "/h/me/.cache/trine/objects");
  if (had_xdg) setenv("XDG_CACHE_HOME", old_xdg.c_str(), 1); else unsetenv("XDG_CACHE_HOME");
  setenv("HOME", old_home.c_str(), 1);
}

}  // namespace
