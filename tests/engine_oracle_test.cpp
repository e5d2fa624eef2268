// The engine on JIT-compiled kernels against the transformers reference outputs: prompt logits
// (one prefill, and token by token through the KV cache), greedy tokens over the robust prefix,
// and teacher-forced step logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codegen/jit_provider.h"
#include "model/hf_config.h"
#include "model/hf_loader.h"
#include "model/safetensors.h"
#include "runtime/cpu_engine.h"

namespace {

namespace fs = std::filesystem;
using namespace trine;

const std::string kOracle = std::string(TRINE_SOURCE_DIR) + "/../shared/bitnet_oracle";

std::vector<int> ids_of(const model::TensorView& t) {
  std::vector<int> ids(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t v;
    std::memcpy(&v, t.data + 8 * i, 8);
    ids[i] = static_cast<int>(v);
  }
  return ids;
}

struct Compare {
  double rel_rms = 0;
  double top1 = 0;
};

Compare compare(const std::vector<float>& got, const std::vector<float>& want, int V) {
  double num = 0, den = 0;
  int agree = 0;
  const size_t T = want.size() / V;
  for (size_t i = 0; i < want.size(); ++i) {
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  for (size_t t = 0; t < T; ++t)
    agree += std::max_element(got.begin() + t * V, got.begin() + (t + 1) * V) - got.begin() ==
             std::max_element(want.begin() + t * V, want.begin() + (t + 1) * V) - want.begin();
  return {std::sqrt(num / den), static_cast<double>(agree) / static_cast<double>(T)};
}

class EngineOracle : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!fs::exists(kOracle)) GTEST_SKIP() << "reference outputs not found at " << kOracle;
    dir_ = kOracle + "/" + GetParam();
    cache_ = fs::temp_directory_path() / fmt::format("trine_engine_test_{}", getpid());
  }
  void TearDown() override { fs::remove_all(cache_); }

  std::unique_ptr<Engine> engine(const std::string& model_dir) {
    compilers_ = std::make_unique<codegen::CompilerSet>(cache_.string());
    provider_ = std::make_unique<codegen::JitKernelProvider>(*compilers_, nullptr, host_info(), usable_isas(host_info()));
    const model::HfConfig cfg = model::load_hf_config(model_dir);
    EngineOptions o;
    o.threads = 2;
    return std::make_unique<CpuEngine>(model::load_hf_model(model_dir), cfg.model.max_position_embeddings, *provider_, o);
  }

  std::string dir_;
  fs::path cache_;
  std::unique_ptr<codegen::CompilerSet> compilers_;
  std::unique_ptr<codegen::JitKernelProvider> provider_;
};

TEST_P(EngineOracle, PromptLogitsPrefillAndIncremental) {
  const model::Checkpoint oracle(dir_ + "/oracle.safetensors");
  const std::vector<int> ids = ids_of(oracle.get("input_ids"));
  const std::vector<float> want = model::to_f32(oracle.get("logits"));
  auto e = engine(dir_ + "/packed");
  const int V = e->dims().vocab;
  std::vector<float> all, step, inc;
  e->forward(ids.data(), static_cast<int>(ids.size()), true, all);
  const Compare full = compare(all, want, V);
  e->reset();
  for (int id : ids) {
    e->forward(&id, 1, false, step);
    inc.insert(inc.end(), step.begin(), step.end());
  }
  const Compare incr = compare(inc, want, V);
  std::printf("%s: prefill rel RMS %.3g top-1 %.3f; incremental rel RMS %.3g top-1 %.3f\n", GetParam().c_str(),
              full.rel_rms, full.top1, incr.rel_rms, incr.top1);
  EXPECT_LE(full.rel_rms, 5e-2);
  EXPECT_GE(full.top1, 0.9);
  EXPECT_LE(incr.rel_rms, 5e-2);
  EXPECT_GE(incr.top1, 0.9);
  if (GetParam() == "small") {  // no fp-noise cascades at this size: far tighter than the README's bound
    EXPECT_LE(full.rel_rms, 1e-4);
    EXPECT_LE(incr.rel_rms, 1e-4);
  }
}

TEST_P(EngineOracle, GreedyTokensAndTeacherForcedSteps) {
  const model::Checkpoint oracle(dir_ + "/oracle.safetensors");
  const std::vector<int> ids = ids_of(oracle.get("input_ids")), greedy = ids_of(oracle.get("greedy_ids"));
  const std::vector<float> want = model::to_f32(oracle.get("greedy_step_logits"));
  std::ifstream js(dir_ + "/oracle.json");
  const int robust = nlohmann::json::parse(js)["greedy_robust_prefix_len"].get<int>();
  auto e = engine(dir_ + "/packed");
  const int V = e->dims().vocab;
  std::vector<float> logits, steps;
  e->forward(ids.data(), static_cast<int>(ids.size()), false, logits);
  for (size_t i = 0; i < greedy.size(); ++i) {
    steps.insert(steps.end(), logits.begin(), logits.end());
    const int pick = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (static_cast<int>(i) < robust) {
      EXPECT_EQ(pick, greedy[i]) << "greedy step " << i;
    }
    e->forward(&greedy[i], 1, false, logits);  // teacher forcing beyond the robust prefix
  }
  const Compare c = compare(steps, want, V);
  std::printf("%s: greedy steps rel RMS %.3g top-1 %.3f (robust prefix %d)\n", GetParam().c_str(), c.rel_rms, c.top1, robust);
  EXPECT_LE(c.rel_rms, 5e-2);
  EXPECT_GE(c.top1, 0.9);
}

TEST_P(EngineOracle, MasterCheckpointMatchesOnlineLogits) {
  if (!fs::exists(dir_ + "/master")) GTEST_SKIP() << GetParam() << " has no master checkpoint";
  const model::Checkpoint oracle(dir_ + "/oracle.safetensors");
  const std::vector<int> ids = ids_of(oracle.get("input_ids"));
  auto e = engine(dir_ + "/master");
  std::vector<float> all;
  e->forward(ids.data(), static_cast<int>(ids.size()), true, all);
  const Compare c = compare(all, model::to_f32(oracle.get("logits_master")), e->dims().vocab);
  EXPECT_LE(c.rel_rms, 5e-2);
  EXPECT_GE(c.top1, 0.9);
}

TEST_P(EngineOracle, ContextLimitIsEnforced) {
  auto e = engine(dir_ + "/packed");
  std::vector<int> ids(static_cast<size_t>(e->context_limit()) + 1, 5);
  std::vector<float> logits;
  try {
    e->forward(ids.data(), static_cast<int>(ids.size()), false, logits);
    ADD_FAILURE() << "no error past the context";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("context limit"), std::string::npos) << err.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Models, EngineOracle, ::testing::Values("small", "real1"));

}  // namespace
