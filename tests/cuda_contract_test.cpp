// The CUDA kernels on a GPU, bit for bit against the CPU reference: the defaults and a spread of
// each op's space, on the 2B4T shapes' tails and odd shapes. Without a usable GPU every test
// skips and says why (ctest lists them as skipped, never as passed).
#include <gtest/gtest.h>

#include "codegen/cuda_family.h"
#include "codegen/cuda_tuner.h"
#include "gpu/device.h"
#include "jit/nvrtc.h"

namespace trine {
namespace {

class CudaContract : public testing::Test {
 protected:
  void SetUp() override {
    const gpu::Discovery d = gpu::discover();
    if (d.devices.empty()) GTEST_SKIP() << "no usable CUDA device: " << d.why;
    dev_ = gpu::require_device(0);
  }
  // Every config of op checked on each shape (the whole space: a GPU runs them in milliseconds).
  void expect_space(Op op, const std::vector<std::array<int, 3>>& shapes) {
    jit::Nvrtc nvrtc("");
    const std::vector<CudaConfig> space = codegen::cuda::space(op);
    const gpu::Module mod(nvrtc.compile("contract", codegen::cuda::source(space), codegen::cuda::headers(), dev_.arch()));
    for (const auto& [M, K, N] : shapes)
      for (const Problem& p : verification_problems(M, K, N, 42))
        for (const CudaConfig& c : space)
          ASSERT_EQ("", codegen::verify_on_gpu(mod.kernel(c.symbol()), c, p)) << c.str() << " " << M << "x" << K << "x" << N;
  }
  gpu::Device dev_;
};

TEST_F(CudaContract, GemvEveryConfig) { expect_space(Op::gemv, {{640, 2560, 1}, {100, 300, 1}, {33, 6912, 2}}); }
TEST_F(CudaContract, GemmEveryConfig) { expect_space(Op::gemm, {{256, 512, 128}, {130, 300, 37}, {64, 6912, 9}}); }

}  // namespace
}  // namespace trine
