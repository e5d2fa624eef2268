// The CPU engine: BitNet b1.58 forward pass on tuned ternary kernels, with a KV cache.
// Prompts run through GEMM kernels (N = tokens), each generated token through GEMV kernels.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "runtime/aligned_buffer.h"
#include "runtime/engine.h"
#include "runtime/kernel_provider.h"
#include "runtime/model_weights.h"
#include "runtime/thread_pool.h"

namespace trine {

class CpuEngine final : public Engine {
 public:
  // Packs every projection once through `kernels` and drops the unpacked codes.
  CpuEngine(ModelWeights weights, int context_length, KernelProvider& kernels, const EngineOptions& opt);
  ~CpuEngine() override;

  void forward(const int* ids, int n, bool all_logits, std::vector<float>& logits) override;
  std::string device() const override;
  std::string kernel_summary() const override;
  std::size_t weight_bytes() const override;
  std::size_t prefill_copy_bytes() const override;  // PrefillLayout::own copies
  std::size_t bytes_per_token() const override;
  std::size_t memory_bytes() const override;

 private:
  struct Layer;
  void matmul(Projection which, const PreparedMatmul& pm, const QuantizedActs& a, std::vector<float>& y);
  void attention(int layer, int n, std::vector<float>& q, std::vector<float>& out);
  void lm_head(const float* h, float* logits);

  std::unique_ptr<ThreadPool> pool_;
  // The tied embedding, also the lm_head: bf16 when that is exact (published checkpoints store
  // it in bf16), halving the bytes every token reads; fp32 otherwise.
  std::vector<float> embed_;
  AlignedBuffer<uint16_t> embed_bf16_;  // on huge pages, like the packed weights: streamed per token
  AlignedBuffer<int8_t> head_i8_;       // [vocab][hidden] when EngineOptions::lm_head_int8
  std::vector<float> head_scale_;   // per row
  std::vector<float> final_norm_, inv_freq_;
  void embed_row(int id, float* out) const;
  void quantize_head();
  WeightArena arena_;  // every layer's packed matrices, declared first so it outlives them
  std::vector<Layer> layers_;
  std::vector<float> kcache_, vcache_;  // [layer][ctx][kv_dim], post-RoPE keys
  GemmWorkspace ws_;
  // Activations of the current call, kept so decoding one token after another allocates nothing.
  struct Buffers {
    std::vector<float> x, h, q, k, v, o, g, u, attn, mlp;
    QuantizedActs acts;
  } buf_;
};

}  // namespace trine
