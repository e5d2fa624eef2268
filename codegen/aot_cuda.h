// `trine aot --target cuda --arch sm_XX`: the CUDA winners tuned on a GPU of that architecture
// (or the defaults) as .cu sources with a host-side dispatch table and a CMakeLists.txt that
// builds a static library with nvcc. Needs no GPU and no CUDA toolkit to write.
#pragma once
#include <string>
#include <vector>

#include "runtime/cuda_config.h"
#include "runtime/tuning_db.h"

namespace trine::codegen {

struct CudaAotPlan {
  std::string arch;  // "sm_90"
  std::vector<CudaKernelChoice> entries;  // tuned shapes, then the defaults
  int tuned = 0;
  std::vector<std::string> notes;
};

// Throws Error naming --arch unless it is sm_<NN> with NN >= 80 (int8 mma.sync).
int cuda_arch_number(const std::string& arch);
// Winners of family "cuda" whose key names this arch and this generator; the defaults always.
CudaAotPlan plan_cuda_aot(const std::string& arch, const std::vector<Winner>& winners);
void write_cuda_aot(const CudaAotPlan& plan, const std::string& dir, bool force);

}  // namespace trine::codegen
