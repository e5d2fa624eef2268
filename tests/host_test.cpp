#include "runtime/host.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "runtime/error.h"
#include "runtime/isa.h"

namespace trine {
namespace {

// Sets or clears TRINE_ISA for one test and puts back what was there.
class IsaEnv {
 public:
  explicit IsaEnv(const char* value) {
    if (const char* old = std::getenv("TRINE_ISA")) old_ = old;
    if (value) {
      setenv("TRINE_ISA", value, 1);
    } else {
      unsetenv("TRINE_ISA");
    }
  }
  ~IsaEnv() {
    if (old_) {
      setenv("TRINE_ISA", old_->c_str(), 1);
    } else {
      unsetenv("TRINE_ISA");
    }
  }

 private:
  std::optional<std::string> old_;
};

HostInfo fake_host(std::vector<std::string> features) {
  HostInfo h;
  std::sort(features.begin(), features.end());
  h.features = std::move(features);
  return h;
}

// The first "key : value" line of /proc/cpuinfo for each key; empty when unavailable.
std::map<std::string, std::string> cpuinfo() {
  std::map<std::string, std::string> out;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) break;  // end of the first processor
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    auto value = colon + 2 <= line.size() ? line.substr(colon + 2) : std::string();
    out.emplace(key, value);
  }
  return out;
}

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

TEST(Host, FingerprintIsStableAndSixteenHexDigits) {
  const HostInfo a = detect_host();
  const HostInfo b = detect_host();
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.to_json(), b.to_json());
  EXPECT_EQ(host_info().fingerprint, a.fingerprint);
  ASSERT_EQ(a.fingerprint.size(), 16u);
  EXPECT_TRUE(std::all_of(a.fingerprint.begin(), a.fingerprint.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  })) << a.fingerprint;
}

TEST(Host, FingerprintIsFnv1aOfTheCanonicalText) {
  const HostInfo& h = host_info();
  std::string features;
  for (const auto& f : h.features) features += (features.empty() ? "" : ",") + f;
  const std::string text =
      fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", h.vendor, h.model_name, h.family, h.model,
                  h.stepping, features, h.logical_cpus, h.cache.l1d, h.cache.l2, h.cache.l3);
  EXPECT_EQ(h.fingerprint, fmt::format("{:016x}", fnv1a64(text)));
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);  // published FNV-1a 64 test vector
}

TEST(Host, FeaturesAreSortedUniqueAndLookedUp) {
  const HostInfo& h = host_info();
  EXPECT_TRUE(std::is_sorted(h.features.begin(), h.features.end()));
  EXPECT_EQ(std::set<std::string>(h.features.begin(), h.features.end()).size(), h.features.size());
  for (const auto& f : h.features) EXPECT_TRUE(h.has(f)) << f;
  EXPECT_FALSE(h.has("no_such_feature"));
  EXPECT_FALSE(h.has(""));
  // Every x86-64 CPU has SSE2; it tells us detection ran at all.
  EXPECT_TRUE(h.has("sse2"));
}

TEST(Host, AgreesWithProcCpuinfo) {
  auto info = cpuinfo();
  if (info.empty()) GTEST_SKIP() << "no /proc/cpuinfo";
  const HostInfo& h = host_info();
  EXPECT_EQ(h.vendor, info["vendor_id"]);
  EXPECT_EQ(h.family, std::stoi(info["cpu family"]));
  EXPECT_EQ(h.model, std::stoi(info["model"]));
  EXPECT_EQ(h.stepping, std::stoi(info["stepping"]));
  EXPECT_EQ(h.model_name, info["model name"]);
  std::set<std::string> flags;
  std::istringstream words(info["flags"]);
  for (std::string w; words >> w;) flags.insert(w);
  // The kernel's names on the left, ours on the right.
  const std::pair<const char*, const char*> same[] = {
      {"sse4_2", "sse4_2"},
      {"avx", "avx"},
      {"avx2", "avx2"},
      {"fma", "fma"},
      {"f16c", "f16c"},
      {"bmi2", "bmi2"},
      {"avx512f", "avx512f"},
      {"avx512bw", "avx512bw"},
      {"avx512vl", "avx512vl"},
      {"avx512dq", "avx512dq"},
      {"avx512cd", "avx512cd"},
      {"avx512_vnni", "avx512vnni"},
      {"avx512_bf16", "avx512bf16"},
      {"avx512vbmi", "avx512vbmi"},
      {"avx512_vbmi2", "avx512vbmi2"},
      {"avx512ifma", "avx512ifma"},
      {"avx512_fp16", "avx512fp16"},
      {"avx_vnni", "avxvnni"},
  };
  for (auto [kernel, ours] : same) EXPECT_EQ(flags.count(kernel) == 1, h.has(ours)) << ours;
}

TEST(Host, CpusAndCaches) {
  const HostInfo& h = host_info();
  EXPECT_EQ(h.logical_cpus, static_cast<int>(std::thread::hardware_concurrency()));
  std::ifstream l1("/sys/devices/system/cpu/cpu0/cache/index0/size");
  if (!l1) GTEST_SKIP() << "no sysfs cache information";
  // Every CPU this runs on has data, L2 and L3 caches, in that order of size.
  EXPECT_GT(h.cache.l1d, 0u);
  EXPECT_GT(h.cache.l2, h.cache.l1d);
  EXPECT_GE(h.cache.l3, h.cache.l2);
  EXPECT_EQ(h.cache.l1d % 1024, 0u);
}

TEST(Host, ToJsonHasEveryField) {
  const HostInfo& h = host_info();
  const nlohmann::json j = h.to_json();
  EXPECT_EQ(j.at("vendor"), h.vendor);
  EXPECT_EQ(j.at("model_name"), h.model_name);
  EXPECT_EQ(j.at("family"), h.family);
  EXPECT_EQ(j.at("model"), h.model);
  EXPECT_EQ(j.at("stepping"), h.stepping);
  EXPECT_EQ(j.at("features").get<std::vector<std::string>>(), h.features);
  EXPECT_EQ(j.at("logical_cpus"), h.logical_cpus);
  EXPECT_EQ(j.at("cache").at("l1d"), h.cache.l1d);
  EXPECT_EQ(j.at("cache").at("l2"), h.cache.l2);
  EXPECT_EQ(j.at("cache").at("l3"), h.cache.l3);
  EXPECT_EQ(j.at("fingerprint"), h.fingerprint);
  EXPECT_EQ(j.size(), 9u);
}

TEST(Isa, NamesAndRequiredFeatures) {
  EXPECT_EQ(all_isas(), (std::vector<Isa>{Isa::avx2, Isa::avxvnni, Isa::avx512vnni, Isa::neondot}));
  for (Isa isa : all_isas()) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  EXPECT_STREQ(isa_name(Isa::avx512vnni), "avx512vnni");
  EXPECT_EQ(parse_isa("avx512"), std::nullopt);
  EXPECT_EQ(parse_isa("AVX2"), std::nullopt);
  EXPECT_EQ(isa_required_features(Isa::avx2), (std::vector<std::string>{"avx2", "fma"}));
  EXPECT_EQ(isa_required_features(Isa::avxvnni),
            (std::vector<std::string>{"avx2", "fma", "avxvnni"}));
  EXPECT_EQ(
      isa_required_features(Isa::avx512vnni),
      (std::vector<std::string>{"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512vnni"}));
  EXPECT_STREQ(isa_name(Isa::neondot), "neondot");
  EXPECT_EQ(isa_required_features(Isa::neondot), (std::vector<std::string>{"asimd", "asimddp"}));
}

TEST(Isa, UsableIsasMostCapableFirst) {
  IsaEnv env(nullptr);
  EXPECT_EQ(usable_isas(fake_host({})), std::vector<Isa>{});
  EXPECT_EQ(usable_isas(fake_host({"avx2"})), std::vector<Isa>{});  // no FMA
  EXPECT_EQ(usable_isas(fake_host({"avx2", "fma"})), std::vector<Isa>{Isa::avx2});
  // Zen 4: AVX-512 VNNI without AVX-VNNI.
  EXPECT_EQ(
      usable_isas(fake_host({"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512vnni"})),
      (std::vector<Isa>{Isa::avx512vnni, Isa::avx2}));
  EXPECT_EQ(usable_isas(fake_host({"avx2", "fma", "avx512f", "avx512bw", "avx512vnni"})),
            std::vector<Isa>{Isa::avx2});  // no VL
  EXPECT_EQ(usable_isas(fake_host(
                {"avx2", "fma", "avxvnni", "avx512f", "avx512bw", "avx512vl", "avx512vnni"})),
            (std::vector<Isa>{Isa::avx512vnni, Isa::avxvnni, Isa::avx2}));
  // An Arm host (Linux feature names): NEON without the dot product runs no kernel.
  EXPECT_EQ(usable_isas(fake_host({"asimd"})), std::vector<Isa>{});
  EXPECT_EQ(usable_isas(fake_host({"asimd", "asimddp"})), std::vector<Isa>{Isa::neondot});
}

TEST(Isa, NeonDotIsNeverUsableOnThisX86Host) {
  IsaEnv env(nullptr);
  if (!host_info().has("avx2")) GTEST_SKIP() << "not an x86 host with AVX2";
  EXPECT_FALSE(isa_usable(Isa::neondot, host_info()));
  const auto isas = usable_isas(host_info());
  EXPECT_EQ(std::count(isas.begin(), isas.end(), Isa::neondot), 0);
}

TEST(Isa, Avx2OnThisMachineMeansAvx2IsUsable) {
  IsaEnv env(nullptr);
  const HostInfo& h = host_info();
  if (!h.has("avx2")) GTEST_SKIP() << "no AVX2 here";
  ASSERT_TRUE(h.has("fma"));  // every AVX2 CPU has FMA3
  EXPECT_TRUE(isa_usable(Isa::avx2, h));
  const auto isas = usable_isas(h);
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.back(), Isa::avx2);
  EXPECT_EQ(isa_usable(Isa::avx512vnni, h), h.has("avx512vnni") && h.has("avx512vl"));
}

TEST(Isa, TrineIsaCapsTheList) {
  const HostInfo all =
      fake_host({"avx2", "fma", "avxvnni", "avx512f", "avx512bw", "avx512vl", "avx512vnni"});
  {
    IsaEnv env("avx2");
    EXPECT_EQ(usable_isas(all), std::vector<Isa>{Isa::avx2});
    if (host_info().has("avx2")) {
      EXPECT_EQ(usable_isas(host_info()), std::vector<Isa>{Isa::avx2});
    }
  }
  {
    IsaEnv env("avxvnni");
    EXPECT_EQ(usable_isas(all), (std::vector<Isa>{Isa::avxvnni, Isa::avx2}));
  }
  {
    IsaEnv env("avx512vnni");
    EXPECT_EQ(usable_isas(all), (std::vector<Isa>{Isa::avx512vnni, Isa::avxvnni, Isa::avx2}));
  }
  {
    IsaEnv env("");  // empty counts as unset
    EXPECT_EQ(usable_isas(all).size(), 3u);
  }
  {
    // Capability orders only within an architecture: a cap from the other one leaves nothing.
    IsaEnv env("neondot");
    EXPECT_EQ(usable_isas(all), std::vector<Isa>{});
    EXPECT_EQ(usable_isas(fake_host({"asimd", "asimddp"})), std::vector<Isa>{Isa::neondot});
  }
  {
    IsaEnv env("avx512vnni");
    EXPECT_EQ(usable_isas(fake_host({"asimd", "asimddp"})), std::vector<Isa>{});
  }
}

TEST(Isa, BadTrineIsaThrowsNamingTheVariableAndValidNames) {
  IsaEnv env("avx9000");
  try {
    usable_isas(host_info());
    FAIL() << "expected trine::Error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "TRINE_ISA=avx9000 is not a known ISA; valid names: avx2, avxvnni, avx512vnni, neondot");
  }
}

}  // namespace
}  // namespace trine
