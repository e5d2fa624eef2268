// The CUDA kernels as the tuner and the AOT emitter see them: search spaces, and the CUDA source
// that instantiates configs as extern "C" kernels (one translation unit, compiled by NVRTC at
// tune time or by nvcc in an AOT tree).
#pragma once
#include <string>
#include <vector>

#include "jit/jit.h"
#include "runtime/cuda_config.h"

namespace trine::codegen::cuda {

// Every legal config for op, in a fixed order.
std::vector<CudaConfig> space(Op op);
// The kernel definition of one config: `extern "C" __global__ void <symbol>(trine_cuda_args)`.
std::string instantiation(const CudaConfig& c);
// One translation unit defining every config's kernel.
std::string source(const std::vector<CudaConfig>& configs);
// The translation unit of the GPU engine's other ops (templates/cuda/model_ops.cuh).
std::string model_ops_source();
// templates/cuda/*.cuh, named as the source includes them.
std::vector<jit::SourceFile> headers();

}  // namespace trine::codegen::cuda
