// `trine bench kernels --device cuda`: the GPU's roofline measured as high as it goes (a
// device-to-device copy, and the int8 mma.sync peak from every SM), and cuBLAS bf16 GEMV/GEMM on
// the same shapes as the baseline trine's kernels are quoted against.
#pragma once
#include "codegen/cuda_tuner.h"

namespace trine::codegen {

struct GpuRoofline {
  double copy_gbps = 0;         // bytes read + written per second, cudaMemcpy device to device
  double int8_peak_gmacs = 0;   // mma.sync m16n8k32 s8, every SM
};

GpuRoofline measure_gpu_roofline(const gpu::Device& dev, jit::Nvrtc& nvrtc);
// cuBLAS bf16 x bf16 -> fp32 accumulate (y = W x, W M x K), timed as time_cuda_kernels times ours.
TimingStats time_cublas_bf16(const gpu::Device& dev, const Shape& s);

}  // namespace trine::codegen
