// The kernels the GPU engine runs, compiled for the device it runs on: the model's ops
// (templates/cuda/model_ops.cuh) and, per projection shape, the W2A8 configs tuned on this GPU
// (`trine tune --device cuda`) or the defaults. NVRTC compiles both at load time through the
// on-disk cache, so a second run compiles nothing.
#pragma once
#include "gpu/cuda_engine.h"
#include "jit/nvrtc.h"
#include "runtime/tuning_db.h"

namespace trine::codegen {

// Winners count only where stored for this device's fingerprint, this NVRTC and this generator;
// db may be null (defaults only).
gpu::CudaModelKernels cuda_model_kernels(const gpu::Device& dev, const TuningDb* db, jit::Nvrtc& nvrtc);

}  // namespace trine::codegen
