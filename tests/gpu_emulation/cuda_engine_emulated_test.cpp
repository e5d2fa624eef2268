// The GPU engine (gpu/cuda_engine.cpp) on the host emulation of the device (emulated_device.cpp):
// the transformers oracle (tests/engine_oracle.h), and the model's definition
// (reference_forward) on a random tiny model: prefill, token-by-token decode, prompts longer
// than one chunk, and bad input leaving the cache as it was.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "gpu/cuda_engine.h"
#include "model/hf_config.h"
#include "model/hf_loader.h"
#include "model/synthetic.h"
#include "runtime/error.h"
#include "tests/engine_oracle.h"

namespace {

namespace fs = std::filesystem;
using namespace trine;

gpu::CudaModelKernels emulated_kernels() {
  gpu::CudaModelKernels k;
  for (Op op : {Op::gemv, Op::gemm}) k.matmuls.push_back({op, 0, 0, cuda_default(op), 0});
  return k;
}

std::unique_ptr<Engine> emulated_engine(const std::string& model_dir, int ctx_cap = 0) {
  gpu::Device dev;
  dev.name = "host emulation", dev.sm = 90;
  const model::HfConfig cfg = model::load_hf_config(model_dir);
  EngineOptions o;
  o.max_context = ctx_cap;
  return std::make_unique<gpu::CudaEngine>(dev, model::load_hf_model(model_dir), cfg.model.max_position_embeddings,
                                           emulated_kernels(), o);
}

class EmulatedCudaEngineOracle : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!oracle::available(GetParam(), why)) GTEST_SKIP() << why;
  }
  std::unique_ptr<Engine> make_engine(const std::string& model_dir) { return emulated_engine(model_dir); }
};

TRINE_ENGINE_ORACLE_TESTS(EmulatedCudaEngineOracle);

class EmulatedCudaEngine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() /
           ("trine-emulated-gpu-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    model::write_synthetic_hf(model::synthetic_config("tiny"), dir_.string(), 5);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static std::vector<int> random_ids(int n, int vocab) {
    std::mt19937 rng(n);
    std::uniform_int_distribution<int> d(0, vocab - 1);
    std::vector<int> ids(static_cast<std::size_t>(n));
    for (int& id : ids) id = d(rng);
    return ids;
  }
  static fs::path dir_;
};
fs::path EmulatedCudaEngine::dir_;

// A prompt longer than one 256-token chunk: its logits against the model's definition, and the
// second chunk's rows against the same tokens decoded one at a time after the first chunk.
TEST_F(EmulatedCudaEngine, PrefillAcrossChunksMatchesTheReferenceAndDecode) {
  auto e = emulated_engine(dir_.string());
  const int V = e->dims().vocab, n = 300, chunk = 256;
  const std::vector<int> ids = random_ids(n, V);
  std::vector<float> got;
  e->forward(ids.data(), n, true, got);
  EXPECT_EQ(e->position(), n);
  const std::vector<float> want = reference_forward(model::load_hf_model(dir_.string()), ids);
  // Float noise flips a few quantized activations once attention spans many random positions,
  // so the first 64 positions are held to float rounding and the whole prompt to the oracle's
  // bound (tests/engine_oracle.h).
  const std::size_t early = 64 * static_cast<std::size_t>(V);
  const oracle::Compare first = oracle::compare({got.begin(), got.begin() + early}, {want.begin(), want.begin() + early}, V);
  const oracle::Compare all = oracle::compare(got, want, V);
  EXPECT_LE(first.rel_rms, 1e-5);
  EXPECT_EQ(first.top1, 1.0);
  EXPECT_LE(all.rel_rms, 5e-2);
  EXPECT_GE(all.top1, 0.9);

  e->reset();
  std::vector<float> step, steps;
  e->forward(ids.data(), chunk, false, step);
  for (int t = chunk; t < n; ++t) {
    e->forward(&ids[static_cast<std::size_t>(t)], 1, false, step);
    steps.insert(steps.end(), step.begin(), step.end());
  }
  const oracle::Compare second = oracle::compare(steps, {got.begin() + static_cast<std::size_t>(chunk) * V, got.end()}, V);
  EXPECT_LE(second.rel_rms, 1e-5);
  EXPECT_EQ(second.top1, 1.0);
}

// Decoding one token at a time through the KV cache gives what the prefill gave, and the last
// token's logits alone are the last row of all of them.
TEST_F(EmulatedCudaEngine, DecodeStepsMatchThePrefill) {
  auto e = emulated_engine(dir_.string());
  const int V = e->dims().vocab;
  const std::vector<int> ids = random_ids(12, V);
  std::vector<float> all, last, step, steps;
  e->forward(ids.data(), 12, true, all);
  e->reset();
  e->forward(ids.data(), 12, false, last);
  ASSERT_EQ(last.size(), static_cast<std::size_t>(V));
  EXPECT_EQ(last, std::vector<float>(all.end() - V, all.end()));
  e->reset();
  for (int id : ids) {
    e->forward(&id, 1, false, step);
    steps.insert(steps.end(), step.begin(), step.end());
  }
  const oracle::Compare c = oracle::compare(steps, all, V);
  EXPECT_LE(c.rel_rms, 1e-5);
  EXPECT_EQ(c.top1, 1.0);
}

TEST_F(EmulatedCudaEngine, BadInputLeavesTheCacheAsItWas) {
  auto e = emulated_engine(dir_.string(), 16);
  const int V = e->dims().vocab;
  std::vector<int> ids = random_ids(10, V);
  std::vector<float> before, after;
  e->forward(ids.data(), 10, false, before);
  const int bad = V;
  EXPECT_THROW(e->forward(&bad, 1, false, after), Error);
  EXPECT_THROW(e->forward(ids.data(), 7, false, after), Error);  // 10 + 7 > 16
  EXPECT_EQ(e->position(), 10);
  e->reset();
  e->forward(ids.data(), 10, false, after);
  EXPECT_EQ(after, before);
}

}  // namespace
