// The GPU engine: the whole BitNet b1.58 forward pass on one CUDA device, weights resident there.
// Projections run the W2A8 kernels (decode: the GEMV config chosen for the shape, prompts: the
// GEMM), everything else runs templates/cuda/model_ops.cuh; the host only launches, uploads the
// token ids and downloads the logits. The kernels arrive compiled (NVRTC at load time, see
// codegen/cuda_model.h), so this library needs no compiler.
#pragma once
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "gpu/device.h"
#include "runtime/cuda_config.h"
#include "runtime/engine.h"

namespace trine::gpu {

struct CudaModelKernels {
  std::string ops_cubin;                   // templates/cuda/model_ops.cuh
  std::string matmul_cubin;                // every config in matmuls
  std::vector<CudaKernelChoice> matmuls;   // tuned shapes and the defaults
};

class CudaEngine final : public Engine {
 public:
  // Packs and uploads every projection and drops the host copies. Throws Error naming what does
  // not fit or fails on the device.
  CudaEngine(const Device& dev, ModelWeights weights, int context_length, const CudaModelKernels& kernels,
             const EngineOptions& opt);
  ~CudaEngine() override;

  void forward(const int* ids, int n, bool all_logits, std::vector<float>& logits) override;
  std::string device() const override;
  std::string kernel_summary() const override;
  std::size_t weight_bytes() const override;
  std::size_t prefill_copy_bytes() const override { return 0; }  // decode and prefill read one layout
  std::size_t bytes_per_token() const override;
  std::size_t memory_bytes() const override;

 private:
  struct Ops;
  struct Proj;
  struct Layer;
  struct Acts;
  // One chunk of at most kMaxChunk tokens at pos_; logits of tokens [first, n) to out.
  void forward_chunk(const int* ids, int n, int first, float* out);
  void layer(int l, int n);
  void rmsnorm(const float* x, const Buffer& w, int n, int D, float* y);
  // Quantizes n rows of D floats for the projections that read them (at most three, in slot order).
  void quantize(const float* x, int n, int D, std::initializer_list<const Proj*> projs);
  void matmul(Projection which, const Proj& p, int slot, int n, float* y, int y_stride);
  void add(float* x, const float* d, long long count);
  template <class F>
  void timed(double& acc, F&& f);

  Device dev_;
  bool profile_ = false;
  std::unique_ptr<Module> ops_module_, mm_module_;
  std::unique_ptr<Ops> ops_;
  std::vector<CudaKernelChoice> matmuls_;
  std::vector<Layer> layers_;
  // The tied embedding (bf16 when exact, else fp32), also the lm_head unless head_i8_ is set.
  Buffer embed_, head_i8_, head_scale_, final_norm_, rope_cs_, kcache_, vcache_;
  bool embed_bf16_ = false;
  std::unique_ptr<Acts> acts_;
  std::size_t memory_ = 0;
};

}  // namespace trine::gpu
