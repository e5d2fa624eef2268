// The CPU engine on JIT-compiled kernels against the transformers reference outputs
// (tests/engine_oracle.h).
#include <unistd.h>

#include <fmt/format.h>

#include "codegen/jit_provider.h"
#include "model/hf_config.h"
#include "model/hf_loader.h"
#include "runtime/cpu_engine.h"
#include "tests/engine_oracle.h"

namespace {

namespace fs = std::filesystem;
using namespace trine;

class EngineOracle : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!oracle::available(GetParam(), why)) GTEST_SKIP() << why;
    cache_ = fs::temp_directory_path() / fmt::format("trine_engine_test_{}", getpid());
  }
  void TearDown() override { fs::remove_all(cache_); }

  std::unique_ptr<Engine> make_engine(const std::string& model_dir) {
    compilers_ = std::make_unique<codegen::CompilerSet>(cache_.string());
    provider_ = std::make_unique<codegen::JitKernelProvider>(*compilers_, nullptr, host_info(), usable_isas(host_info()));
    const model::HfConfig cfg = model::load_hf_config(model_dir);
    EngineOptions o;
    o.threads = 2;
    return std::make_unique<CpuEngine>(model::load_hf_model(model_dir), cfg.model.max_position_embeddings, *provider_, o);
  }

  fs::path cache_;
  std::unique_ptr<codegen::CompilerSet> compilers_;
  std::unique_ptr<codegen::JitKernelProvider> provider_;
};

TRINE_ENGINE_ORACLE_TESTS(EngineOracle);

}  // namespace
