// The GPU engine on a real GPU against the transformers reference outputs (tests/engine_oracle.h),
// its kernels compiled by NVRTC for the device as `trine run --device cuda` compiles them.
// Without a usable GPU every test skips, saying why; the host emulation
// (tests/gpu_emulation/) runs the same engine code on every machine.
#include <chrono>

#include "codegen/cuda_model.h"
#include "gpu/cuda_engine.h"
#include "model/hf_config.h"
#include "model/hf_loader.h"
#include "tests/engine_oracle.h"

namespace {

namespace fs = std::filesystem;
using namespace trine;

class CudaEngineOracle : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const gpu::Discovery d = gpu::discover();
    if (d.devices.empty()) GTEST_SKIP() << "no usable CUDA device (" << d.why << "): the GPU engine is not run here";
    std::string why;
    if (!oracle::available(GetParam(), why)) GTEST_SKIP() << why;
    cache_ = fs::temp_directory_path() /
             ("trine-cuda-engine-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  }
  void TearDown() override { fs::remove_all(cache_); }

  std::unique_ptr<Engine> make_engine(const std::string& model_dir) {
    const gpu::Device dev = gpu::require_device(0);
    jit::Nvrtc nvrtc(cache_.string());
    const gpu::CudaModelKernels k = codegen::cuda_model_kernels(dev, nullptr, nvrtc);
    const model::HfConfig cfg = model::load_hf_config(model_dir);
    return std::make_unique<gpu::CudaEngine>(dev, model::load_hf_model(model_dir), cfg.model.max_position_embeddings, k,
                                             EngineOptions{});
  }

  fs::path cache_;
};

TRINE_ENGINE_ORACLE_TESTS(CudaEngineOracle);

}  // namespace
