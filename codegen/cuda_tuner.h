// `trine tune --device cuda`: for each shape, every CUDA config of its op is compiled (one NVRTC
// translation unit per op, cached), verified bit for bit on the GPU against the CPU reference,
// and timed with CUDA events under the CPU tuner's protocol: warm-up, interleaved rounds,
// medians, decode weights rotated over copies that exceed the L2. Winners go to the tuning
// database keyed by the GPU's fingerprint and architecture.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codegen/tuner.h"
#include "gpu/device.h"
#include "jit/nvrtc.h"
#include "runtime/cuda_config.h"
#include "runtime/problems.h"
#include "runtime/tuning_db.h"

namespace trine::codegen {

struct CudaTuneResult {
  Shape shape;
  Op op = Op::gemv;
  Winner winner;
  std::optional<TimingStats> default_stats;
  int verified = 0, failed = 0;
  bool cached = false;
  std::vector<std::string> failures;  // "<config>: <why>"
};

TuneKey cuda_tune_key(const gpu::Device& dev, const Shape& s);

// Runs config on the GPU for p and compares with p.y_ref bit for bit: "" when equal, else where
// the first difference is.
std::string verify_on_gpu(const void* kernel, const CudaConfig& config, const Problem& p);

// Times kernels of one shape together under the tuning protocol (warm-up, interleaved rounds,
// decode weights rotated over L2-busting copies). prune drops configs slower than 1.5x the best
// after a few rounds; dropped ones keep the samples they have. Returns one entry per kernel.
struct CudaTiming {
  TimingStats stats;
  bool dropped = false;
};
std::vector<CudaTiming> time_cuda_kernels(const gpu::Device& dev, const Shape& s,
                                          const std::vector<std::pair<CudaConfig, const void*>>& kernels, bool prune,
                                          const std::function<void(int round, int rounds)>& progress = {});

class CudaTuner {
 public:
  using Progress = std::function<void(const std::string& what, int done, int total)>;
  CudaTuner(gpu::Device dev, TuningDb* db, jit::Nvrtc& nvrtc) : dev_(std::move(dev)), db_(db), nvrtc_(nvrtc) {}
  CudaTuneResult tune(const Shape& s, bool force, const Progress& progress = {});

 private:
  const gpu::Module& module_for(Op op);
  gpu::Device dev_;
  TuningDb* db_;
  jit::Nvrtc& nvrtc_;
  std::unique_ptr<gpu::Module> modules_[2];
};

}  // namespace trine::codegen
