#include "codegen/cuda_model.h"

#include <set>

#include "codegen/aot_cuda.h"
#include "codegen/cuda_family.h"

namespace trine::codegen {

gpu::CudaModelKernels cuda_model_kernels(const gpu::Device& dev, const TuningDb* db, jit::Nvrtc& nvrtc) {
  std::vector<Winner> mine;
  if (db)
    for (Winner& w : db->winners())
      if (w.key.host == dev.fingerprint() && w.key.compiler == jit::Nvrtc::version()) mine.push_back(std::move(w));
  gpu::CudaModelKernels k;
  k.matmuls = plan_cuda_aot(dev.arch(), mine).entries;
  std::vector<CudaConfig> configs;
  std::set<std::string> seen;
  for (const CudaKernelChoice& c : k.matmuls)
    if (seen.insert(c.config.symbol()).second) configs.push_back(c.config);
  k.matmul_cubin = nvrtc.compile("model_matmuls", cuda::source(configs), cuda::headers(), dev.arch());
  k.ops_cubin = nvrtc.compile("model_ops", cuda::model_ops_source(), cuda::headers(), dev.arch());
  return k;
}

}  // namespace trine::codegen
