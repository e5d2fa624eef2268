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
  AlignedBuffer<uint8_t> bytes;  // the packed matrix, until a WeightArena adopts it
  const uint8_t* data() const { return arena_at_ ? arena_at_ : bytes.data(); }
  std::size_t size_bytes() const { return arena_at_ ? arena_size_ : bytes.size(); }

 private:
  friend class WeightArena;
  const uint8_t* arena_at_ = nullptr;
  std::size_t arena_size_ = 0;
};

// Packed matrices back to back in large huge-page blocks. On its own a matrix under 2 MiB sits on
// 4 KiB pages (huge pages need a whole aligned 2 MiB range), and a decode GEMV streaming it takes
// a TLB miss every 4 KiB: 2560x2560 MAD decode 54.7 us on 4 KiB pages against 47.4 on huge
// pages, same process. Matrices must not be used after their arena is gone.
class WeightArena {
 public:
  // Moves w's bytes into the arena (w.data() then points there) and frees its own buffer.
  void adopt(PackedWeights& w);
  std::size_t blocks() const { return blocks_.size(); }

 private:
  std::vector<AlignedBuffer<uint8_t>> blocks_;
  std::size_t used_ = 0;  // bytes taken in the last block
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
