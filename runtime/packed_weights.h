// Weights repacked once at load into the layout a kernel family wants, plus the call that runs a
// generated kernel on them through the thread pool.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/aligned_buffer.h"
#include "runtime/kernel_abi.h"
#include "runtime/quantize.h"
#include "runtime/ternary.h"
#include "runtime/thread_pool.h"
#include "templates/cpu/mad_layout.h"

namespace trine {

struct PackedWeights {
  int M = 0, K = 0;
  float wscale = 1.0f;
  AlignedBuffer<uint8_t> bytes;
  std::size_t size_bytes() const { return bytes.size(); }
};

PackedWeights pack_mad(const TernaryMatrix& W, mad::Layout layout);
// Every family overloads pack_weights on its layout type, so generic code packs for any kernel.
inline PackedWeights pack_weights(const TernaryMatrix& W, mad::Layout layout) { return pack_mad(W, layout); }

// Per-call state that outlives a call: token scales and the kernels' scratch.
struct GemmWorkspace {
  std::vector<float> scale;
  AlignedBuffer<int32_t> scratch;
  void prepare(const QuantizedActs& a, float wscale, int nthreads);
};

trine_gemm_args make_gemm_args(const uint8_t* packed, int M, int K, const QuantizedActs& a,
                               GemmWorkspace& ws, float* y, int64_t y_stride);

// Runs fn on every pool thread and returns when the GEMM is complete.
void run_gemm(ThreadPool& pool, trine_gemm_fn fn, const trine_gemm_args& args);

}  // namespace trine
