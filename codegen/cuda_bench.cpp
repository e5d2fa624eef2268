#include "codegen/cuda_bench.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>

#include <fmt/format.h>

#include "codegen/cuda_family.h"
#include "runtime/error.h"
#include "runtime/measure.h"
#include "templates/cuda/w2a8_probes.cuh"

namespace trine::codegen {

namespace {

constexpr int kSamples = 15;

void check_blas(cublasStatus_t st, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS) throw Error(fmt::format("cuBLAS {}: {}", what, cublasGetStatusString(st)));
}

double int8_peak_gmacs(const gpu::Device& dev, jit::Nvrtc& nvrtc) {
  const gpu::Module mod(nvrtc.compile("probe_mma", "#include \"w2a8_probes.cuh\"\n", cuda::headers(), dev.arch()));
  const void* k = mod.kernel("trine_probe_mma");
  gpu::Buffer sink(sizeof(int));
  int iters = 4096;
  const unsigned blocks = static_cast<unsigned>(dev.sms * 4), threads = 256;
  int* sink_ptr = sink.as<int>();
  void* params[] = {&sink_ptr, &iters};
  gpu::Timer timer;
  std::vector<double> s;
  for (int i = 0; i < kSamples + 2; ++i) {
    timer.start();
    if (cudaLaunchKernel(k, dim3(blocks), dim3(threads), params, 0, nullptr) != cudaSuccess)
      throw Error("launching the mma probe failed");
    const double t = timer.stop_seconds();
    if (i >= 2) s.push_back(t);
  }
  const double macs = static_cast<double>(blocks) * (threads / 32) * iters * trine_cuda::kProbeChains *
                      trine_cuda::kProbeMacsPerMma;
  return macs / summarize(s).median_s / 1e9;
}

}  // namespace

GpuRoofline measure_gpu_roofline(const gpu::Device& dev, jit::Nvrtc& nvrtc) {
  return GpuRoofline{gpu::copy_gbps(dev), int8_peak_gmacs(dev, nvrtc)};
}

TimingStats time_cublas_bf16(const gpu::Device& dev, const Shape& s) {
  const std::size_t wbytes = static_cast<std::size_t>(s.M) * s.K * 2;
  const int copies = s.N == 1 ? static_cast<int>(std::max<int64_t>(2, 4 * dev.l2_bytes / static_cast<int64_t>(wbytes) + 1)) : 1;
  std::vector<gpu::Buffer> w;
  for (int i = 0; i < copies; ++i) {
    w.emplace_back(wbytes);
    w.back().zero();  // timing does not depend on the values
  }
  gpu::Buffer x(static_cast<std::size_t>(s.K) * s.N * 2), y(static_cast<std::size_t>(s.M) * s.N * 4);
  x.zero();
  cublasHandle_t h = nullptr;
  check_blas(cublasCreate(&h), "creating a handle");
  std::unique_ptr<cublasContext, decltype(&cublasDestroy)> guard(h, &cublasDestroy);
  const float alpha = 1, beta = 0;
  int next = 0;
  auto run = [&] {
    // Row-major W (M x K) is column-major K x M: y = W^T-as-stored times x.
    check_blas(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, s.M, s.N, s.K, &alpha, w[static_cast<std::size_t>(next)].as<void>(),
                            CUDA_R_16BF, s.K, x.as<void>(), CUDA_R_16BF, s.K, &beta, y.as<void>(), CUDA_R_32F, s.M,
                            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "bf16 GEMM");
    next = (next + 1) % copies;
  };
  gpu::Timer timer;
  for (int i = 0; i < 3; ++i) run();
  std::vector<double> samples;
  for (int i = 0; i < kSamples; ++i) {
    timer.start();
    for (int l = 0; l < 8; ++l) run();
    samples.push_back(timer.stop_seconds() / 8);
  }
  return summarize(samples);
}

}  // namespace trine::codegen
