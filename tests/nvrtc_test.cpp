// NVRTC needs no GPU: every kernel trine can emit must compile for the oldest and the newest
// architecture it targets, and a rerun must come from the cache.
#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "codegen/cuda_family.h"
#include "jit/nvrtc.h"
#include "runtime/error.h"

namespace trine {
namespace {

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("trine-nvrtc-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  ~TempDir() { std::filesystem::remove_all(path); }
};

class NvrtcSpace : public testing::TestWithParam<const char*> {};

TEST_P(NvrtcSpace, EveryEmittedKernelCompiles) {
  TempDir dir;
  jit::Nvrtc nvrtc(dir.path.string());
  std::vector<CudaConfig> all = codegen::cuda::space(Op::gemv);
  const std::vector<CudaConfig> gemm = codegen::cuda::space(Op::gemm);
  all.insert(all.end(), gemm.begin(), gemm.end());
  const std::string src = codegen::cuda::source(all);
  const std::string cubin = nvrtc.compile("space", src, codegen::cuda::headers(), GetParam());
  ASSERT_GT(cubin.size(), 4u);
  EXPECT_EQ(cubin.substr(0, 4), "\x7f" "ELF");
  for (const CudaConfig& c : all) EXPECT_NE(cubin.find(c.symbol()), std::string::npos) << c.symbol();

  const std::string probe = nvrtc.compile("probe", "#include \"w2a8_probes.cuh\"\n", codegen::cuda::headers(), GetParam());
  EXPECT_NE(probe.find("trine_probe_mma"), std::string::npos);

  jit::Nvrtc again(dir.path.string());
  EXPECT_EQ(again.compile("space", src, codegen::cuda::headers(), GetParam()), cubin);
  EXPECT_EQ(nvrtc.counters().compiles, 2u);
  EXPECT_EQ(again.counters().compiles, 0u);
  EXPECT_EQ(again.counters().cache_hits, 1u);
}

// The GPU engine's own ops: every kernel it looks up by name is in the cubin.
TEST_P(NvrtcSpace, ModelOpsCompile) {
  TempDir dir;
  jit::Nvrtc nvrtc(dir.path.string());
  const std::string cubin = nvrtc.compile("model_ops", codegen::cuda::model_ops_source(), codegen::cuda::headers(), GetParam());
  ASSERT_GT(cubin.size(), 4u);
  EXPECT_EQ(cubin.substr(0, 4), "\x7f" "ELF");
  for (const char* k : {"trine_op_embed", "trine_op_rmsnorm", "trine_op_quantize", "trine_op_rope", "trine_op_attention",
                        "trine_op_add", "trine_op_relu2_mul", "trine_op_lm_head"})
    EXPECT_NE(cubin.find(k), std::string::npos) << k;
}

INSTANTIATE_TEST_SUITE_P(Archs, NvrtcSpace, testing::Values("sm_80", "sm_90"));

TEST(Nvrtc, BadSourceAndBadArchAreReported) {
  jit::Nvrtc nvrtc("");
  try {
    nvrtc.compile("broken", "extern \"C\" __global__ void k() { undeclared(); }", {}, "sm_80");
    FAIL() << "compiled";
  } catch (const jit::CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("undeclared"), std::string::npos) << e.what();
  }
  EXPECT_THROW(jit::Nvrtc::check_arch("sm90"), Error);
  EXPECT_THROW(jit::Nvrtc::check_arch("sm_75"), Error);
  EXPECT_NO_THROW(jit::Nvrtc::check_arch("sm_90"));
}

}  // namespace
}  // namespace trine
