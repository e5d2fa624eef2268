// The inference engine as the commands and benchmarks see it: a BitNet b1.58 forward pass with a
// KV cache, on the CPU (runtime/cpu_engine.h) or a CUDA GPU (gpu/cuda_engine.h). Both take the
// same ModelWeights and give the same errors for the same bad input.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "runtime/model_weights.h"

namespace trine {

struct EngineOptions {
  int threads = 1;
  int max_context = 0;  // 0: the model's context length (4096 for 2B4T)
  // Lossy: the tied lm_head as int8 with one scale per vocabulary row (a quarter of fp32's
  // bytes). The input embedding lookup stays exact.
  bool lm_head_int8 = false;
  // Split forward()'s time into phases (EngineProfile). The CPU engine always does; a GPU engine
  // must wait for each phase to time it, so it does only when asked.
  bool profile = false;
};

// The seven weight matrices of a layer, in the order a forward pass multiplies them.
enum class Projection { q, k, v, o, gate, up, down };
inline constexpr int kProjections = 7;
inline constexpr const char* kProjectionNames[kProjections] = {"q", "k", "v", "o", "gate", "up", "down"};

// One projection's matmuls summed over layers and calls, with the packed weight bytes they read,
// and each call's time: a mean over a run moves with one slow stretch of it (a neighbour's burst,
// a worker woken from sleep), the median shows what a call typically takes.
struct ProjectionTime {
  double s = 0, bytes = 0;
  long calls = 0;
  std::vector<float> call_s;  // in call order
  // The calls of this profile that `o`, an earlier profile of the same engine, had not made.
  ProjectionTime operator-(const ProjectionTime& o) const {
    const std::size_t from = std::min(o.call_s.size(), call_s.size());
    return {s - o.s, bytes - o.bytes, calls - o.calls,
            std::vector<float>(call_s.begin() + static_cast<std::ptrdiff_t>(from), call_s.end())};
  }
  ProjectionTime& operator+=(const ProjectionTime& o) {
    s += o.s, bytes += o.bytes, calls += o.calls;
    call_s.insert(call_s.end(), o.call_s.begin(), o.call_s.end());
    return *this;
  }
};

// What one projection's matmuls took between two profiles: per call (the mean, which adds up to
// the matmul time, and the median: 0 where call times were not kept), and as a read rate (from
// the mean).
struct ProjectionRate {
  const char* name = "";
  long calls = 0;
  double s_per_call = 0, median_s_per_call = 0, bytes_per_call = 0, gbps = 0;
};

// Time spent in each phase of forward(), summed over calls. Without phase timing everything is
// other_s.
struct EngineProfile {
  double matmul_s = 0, quantize_s = 0, attention_s = 0, lm_head_s = 0, other_s = 0;
  int calls = 0;
  // matmul_s split by projection: how fast each kernel runs inside the model, between the other
  // phases' traffic, not only alone as `bench kernels` times it.
  std::array<ProjectionTime, kProjections> proj{};
  // Each call's time is kept only when asked (for medians): a chat session runs for as long as
  // its user likes, and must not grow with every token it decodes.
  bool keep_call_times = false;
  void add_matmul(Projection p, double s, std::size_t weight_bytes) {
    matmul_s += s;
    ProjectionTime& t = proj[static_cast<int>(p)];
    t.s += s;
    t.bytes += static_cast<double>(weight_bytes);
    ++t.calls;
    if (keep_call_times) t.call_s.push_back(static_cast<float>(s));
  }
  // Closes one forward() call that took total_s: what its timed phases (the growth since
  // `before`) did not cover goes to other_s.
  void end_call(double total_s, const EngineProfile& before) {
    other_s += total_s - (matmul_s - before.matmul_s) - (quantize_s - before.quantize_s) -
               (attention_s - before.attention_s) - (lm_head_s - before.lm_head_s);
    ++calls;
  }
};

// Per projection, the matmuls run between `then` and `now`; projections without a timed call (none
// made, or a GPU engine not asked to profile) are left out.
std::vector<ProjectionRate> projection_rates(const EngineProfile& now, const EngineProfile& then);

class Engine {
 public:
  virtual ~Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ModelDims& dims() const { return dims_; }
  int position() const { return pos_; }
  int context_limit() const { return ctx_; }
  void reset() { pos_ = 0; }
  const EngineProfile& profile() const { return prof_; }
  // From now on, keep each matmul call's time in profile() (median per call; bounded runs only).
  void keep_call_times() { prof_.keep_call_times = true; }

  // Runs ids at positions [position(), position() + n) and appends them to the KV cache. logits
  // gets [n][vocab] when all_logits, else the last token's [vocab]. Throws Error past the context
  // or for an id outside the vocabulary, leaving the cache as it was.
  virtual void forward(const int* ids, int n, bool all_logits, std::vector<float>& logits) = 0;

  virtual std::string device() const = 0;          // "cpu (8 threads)", "cuda: NVIDIA H100 80GB HBM3 (sm_90)"
  virtual std::string kernel_summary() const = 0;  // which kernel runs each projection shape
  virtual std::size_t weight_bytes() const = 0;    // packed ternary weights read per token
  virtual std::size_t prefill_copy_bytes() const = 0;  // second packed copies prefill reads
  virtual std::size_t bytes_per_token() const = 0;  // everything a decode step streams: weights, head, norms
  virtual std::size_t memory_bytes() const = 0;     // weights, embedding, norms and KV cache as loaded

 protected:
  Engine(const ModelDims& dims, int context_length, const EngineOptions& opt);
  // Throws Error for n <= 0, a context overflow or an id outside the vocabulary.
  void check_forward(const int* ids, int n) const;

  ModelDims dims_;
  int ctx_ = 0, pos_ = 0;
  EngineProfile prof_;
};

}  // namespace trine
