// The GPU halves of the commands that take --device cuda (compiled where the CUDA toolkit is).
#pragma once
#include <string>
#include <vector>

#include "codegen/tuner.h"

namespace trine::cli {

void run_cuda_tune(const std::vector<codegen::Shape>& shapes, const std::string& db_path, const std::string& cache_dir,
                   bool force);
void run_cuda_bench_kernels(const std::vector<codegen::Shape>& shapes, const std::string& db_path,
                            const std::string& cache_dir, const std::string& json);

}  // namespace trine::cli
