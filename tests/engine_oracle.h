// The engine against the transformers reference outputs (../shared/bitnet_oracle): prompt logits
// (one prefill, and token by token through the KV cache), greedy tokens over the robust prefix,
// teacher-forced step logits, the master checkpoint and the context limit. Shared by every
// engine's tests: the CPU engine (engine_oracle_test.cpp), the GPU engine on a GPU
// (cuda_engine_test.cpp) and the GPU engine on the host emulation (gpu_emulation/).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/safetensors.h"
#include "runtime/engine.h"
#include "runtime/error.h"

namespace trine::oracle {

inline const std::string kDir = std::string(TRINE_SOURCE_DIR) + "/../shared/bitnet_oracle";

// Whether oracle model `name` is there; why its tests skip when it is not.
inline bool available(const std::string& name, std::string& why) {
  if (std::filesystem::exists(kDir + "/" + name)) return true;
  why = "reference outputs not found at " + kDir;
  return false;
}

using MakeEngine = std::function<std::unique_ptr<Engine>(const std::string& model_dir)>;

inline std::vector<int> ids_of(const model::TensorView& t) {
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

inline Compare compare(const std::vector<float>& got, const std::vector<float>& want, int V) {
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

inline void prompt_logits_prefill_and_incremental(const std::string& name, const MakeEngine& make) {
  const std::string dir = kDir + "/" + name;
  const model::Checkpoint oracle(dir + "/oracle.safetensors");
  const std::vector<int> ids = ids_of(oracle.get("input_ids"));
  const std::vector<float> want = model::to_f32(oracle.get("logits"));
  auto e = make(dir + "/packed");
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
  std::printf("%s: prefill rel RMS %.3g top-1 %.3f; incremental rel RMS %.3g top-1 %.3f\n", name.c_str(),
              full.rel_rms, full.top1, incr.rel_rms, incr.top1);
  EXPECT_LE(full.rel_rms, 5e-2);
  EXPECT_GE(full.top1, 0.9);
  EXPECT_LE(incr.rel_rms, 5e-2);
  EXPECT_GE(incr.top1, 0.9);
  if (name == "small") {  // no fp-noise cascades at this size: far tighter than the README's bound
    EXPECT_LE(full.rel_rms, 1e-4);
    EXPECT_LE(incr.rel_rms, 1e-4);
  }
}

inline void greedy_tokens_and_teacher_forced_steps(const std::string& name, const MakeEngine& make) {
  const std::string dir = kDir + "/" + name;
  const model::Checkpoint oracle(dir + "/oracle.safetensors");
  const std::vector<int> ids = ids_of(oracle.get("input_ids")), greedy = ids_of(oracle.get("greedy_ids"));
  const std::vector<float> want = model::to_f32(oracle.get("greedy_step_logits"));
  std::ifstream js(dir + "/oracle.json");
  const int robust = nlohmann::json::parse(js)["greedy_robust_prefix_len"].get<int>();
  auto e = make(dir + "/packed");
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
  std::printf("%s: greedy steps rel RMS %.3g top-1 %.3f (robust prefix %d)\n", name.c_str(), c.rel_rms, c.top1, robust);
  EXPECT_LE(c.rel_rms, 5e-2);
  EXPECT_GE(c.top1, 0.9);
}

inline void master_checkpoint_matches_online_logits(const std::string& name, const MakeEngine& make) {
  const std::string dir = kDir + "/" + name;
  if (!std::filesystem::exists(dir + "/master")) GTEST_SKIP() << name << " has no master checkpoint";
  const model::Checkpoint oracle(dir + "/oracle.safetensors");
  const std::vector<int> ids = ids_of(oracle.get("input_ids"));
  auto e = make(dir + "/master");
  std::vector<float> all;
  e->forward(ids.data(), static_cast<int>(ids.size()), true, all);
  const Compare c = compare(all, model::to_f32(oracle.get("logits_master")), e->dims().vocab);
  EXPECT_LE(c.rel_rms, 5e-2);
  EXPECT_GE(c.top1, 0.9);
}

inline void context_limit_is_enforced(const std::string& name, const MakeEngine& make) {
  const std::string dir = kDir + "/" + name;
  auto e = make(dir + "/packed");
  std::vector<int> ids(static_cast<size_t>(e->context_limit()) + 1, 5);
  std::vector<float> logits;
  try {
    e->forward(ids.data(), static_cast<int>(ids.size()), false, logits);
    ADD_FAILURE() << "no error past the context";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("context limit"), std::string::npos) << err.what();
  }
}

}  // namespace trine::oracle

// One oracle test of Fixture: trine::oracle::fn on the model GetParam(), with the fixture's engine.
#define TRINE_ENGINE_ORACLE_TEST(Fixture, Name, fn) \
  TEST_P(Fixture, Name) { trine::oracle::fn(GetParam(), [this](const std::string& d) { return make_engine(d); }); }

// The oracle tests for Fixture, a TestWithParam<std::string> (the model name) whose SetUp skips
// when the engine cannot run and whose make_engine(dir) builds one engine.
#define TRINE_ENGINE_ORACLE_TESTS(Fixture)                                                                    \
  TRINE_ENGINE_ORACLE_TEST(Fixture, PromptLogitsPrefillAndIncremental, prompt_logits_prefill_and_incremental)   \
  TRINE_ENGINE_ORACLE_TEST(Fixture, GreedyTokensAndTeacherForcedSteps, greedy_tokens_and_teacher_forced_steps) \
  TRINE_ENGINE_ORACLE_TEST(Fixture, MasterCheckpointMatchesOnlineLogits, master_checkpoint_matches_online_logits) \
  TRINE_ENGINE_ORACLE_TEST(Fixture, ContextLimitIsEnforced, context_limit_is_enforced)                          \
  INSTANTIATE_TEST_SUITE_P(Models, Fixture, ::testing::Values("small", "real1"))
