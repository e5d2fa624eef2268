#include "cli/model_setup_cuda.h"

#include <fmt/format.h>

#include "cli/common.h"
#include "codegen/cuda_model.h"
#include "gpu/cuda_engine.h"
#include "jit/jit.h"

namespace trine::cli {

EngineFactory cuda_engine_factory(const ModelArgs& a) {
  const gpu::Device dev = gpu::require_device(0);
  return [dev, a](ModelWeights w, int context_length, const EngineOptions& o) -> std::unique_ptr<Engine> {
    const std::unique_ptr<TuningDb> db = open_db(a.db);
    jit::Nvrtc nvrtc(a.object_cache.empty() ? jit::Jit::default_cache_dir() : a.object_cache);
    const gpu::CudaModelKernels k = codegen::cuda_model_kernels(dev, db.get(), nvrtc);
    return std::make_unique<gpu::CudaEngine>(dev, std::move(w), context_length, k, o);
  };
}

double gpu_copy_gbps() { return gpu::copy_gbps(gpu::require_device(0)); }

}  // namespace trine::cli
