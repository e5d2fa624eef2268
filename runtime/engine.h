// The inference engine: BitNet b1.58 forward pass on tuned ternary kernels, with a KV cache.
// Prompts run through GEMM kernels (N = tokens), each generated token through GEMV kernels.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "runtime/aligned_buffer.h"
#include "runtime/kernel_provider.h"
#include "runtime/model_weights.h"
#include "runtime/thread_pool.h"

namespace trine {

struct EngineOptions {
  int threads = 1;
  int max_context = 0;  // 0: the model's context length (4096 for 2B4T)
  // Lossy: the tied lm_head as int8 with one scale per vocabulary row (a quarter of fp32's
  // bytes). The input embedding lookup stays exact.
  bool lm_head_int8 = false;
};

// Wall time spent in each phase of forward(), summed over calls.
struct EngineProfile {
  double matmul_s = 0, quantize_s = 0, attention_s = 0, lm_head_s = 0, other_s = 0;
  int calls = 0;
};

class Engine {
 public:
  // Packs every projection once through `kernels` and drops the unpacked codes.
  Engine(ModelWeights weights, int context_length, KernelProvider& kernels, const EngineOptions& opt);
  ~Engine();

  const ModelDims& dims() const { return dims_; }
  int position() const { return pos_; }
  int context_limit() const { return ctx_; }
  void reset() { pos_ = 0; }

  // Runs ids at positions [position(), position() + n) and appends them to the KV cache. logits
  // gets [n][vocab] when all_logits, else the last token's [vocab]. Throws Error past the context.
  void forward(const int* ids, int n, bool all_logits, std::vector<float>& logits);

  std::string kernel_summary() const;    // which kernel runs each projection shape
  std::size_t weight_bytes() const;      // packed ternary weights read per token
  std::size_t prefill_copy_bytes() const;  // second packed copies prefill reads (PrefillLayout::own)
  std::size_t bytes_per_token() const;   // everything a decode step streams: weights, head, norms
  std::size_t memory_bytes() const;      // weights, embedding, norms and KV cache as loaded
  const EngineProfile& profile() const { return prof_; }

 private:
  struct Layer;
  void matmul(const PreparedMatmul& pm, const QuantizedActs& a, std::vector<float>& y);
  void attention(int layer, int n, std::vector<float>& q, std::vector<float>& out);
  void lm_head(const float* h, float* logits);

  ModelDims dims_;
  int ctx_ = 0, pos_ = 0;
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
  std::vector<Layer> layers_;
  std::vector<float> kcache_, vcache_;  // [layer][ctx][kv_dim], post-RoPE keys
  GemmWorkspace ws_;
  // Activations of the current call, kept so decoding one token after another allocates nothing.
  struct Buffers {
    std::vector<float> x, h, q, k, v, o, g, u, attn, mlp;
    QuantizedActs acts;
  } buf_;
  EngineProfile prof_;
};

}  // namespace trine
