#include "runtime/packed_weights.h"

#include <algorithm>
#include <cstring>

namespace trine {

PackedWeights pack_mad(const TernaryMatrix& W, mad::Layout layout) {
  PackedWeights p;
  p.M = W.M;
  p.K = W.K;
  p.wscale = W.wscale;
  p.bytes.resize(static_cast<std::size_t>(layout.packed_bytes(W.M, W.K)));
  mad::pack(W.w.data(), W.M, W.K, layout, p.bytes.data());
  return p;
}

namespace {

// Large next to a matrix, so the room a block's last matrix leaves unused is small; small next to a
// model, so is the unused tail of the last block.
constexpr std::size_t kArenaBlock = std::size_t{32} << 20;
// Each matrix starts on its own page: a kernel's loads past its last byte stay zeros, as they do
// in the padding of a buffer of its own.
constexpr std::size_t kArenaAlign = 4096;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

}  // namespace

void WeightArena::adopt(PackedWeights& w) {
  const std::size_t n = w.size_bytes(), need = round_up(n, kArenaAlign);
  if (n == 0 || w.arena_at_) return;
  if (blocks_.empty() || used_ + need > blocks_.back().size()) {
    blocks_.emplace_back(std::max(kArenaBlock, need));
    used_ = 0;
  }
  uint8_t* at = blocks_.back().data() + used_;
  std::memcpy(at, w.bytes.data(), n);
  used_ += need;
  w.bytes = AlignedBuffer<uint8_t>();
  w.arena_at_ = at;
  w.arena_size_ = n;
}

void GemmWorkspace::prepare(const QuantizedActs& a, float wscale, int nthreads) {
  token_scales(a, wscale, scale);
  const std::size_t need = static_cast<std::size_t>(nthreads) * a.N * TRINE_SCRATCH_PER_TOKEN;
  if (scratch.size() < need) scratch.resize(need);
}

trine_gemm_args make_gemm_args(const uint8_t* packed, int M, int K, const QuantizedActs& a,
                               GemmWorkspace& ws, float* y, int64_t y_stride) {
  trine_gemm_args g{};
  g.w = packed;
  g.q = a.q.data();
  g.qsum = a.qsum.data();
  g.scale = ws.scale.data();
  g.y = y;
  g.scratch = ws.scratch.data();
  g.q_stride = a.stride;
  g.y_stride = y_stride;
  g.scratch_stride = static_cast<int64_t>(a.N) * TRINE_SCRATCH_PER_TOKEN;
  g.M = M;
  g.K = K;
  g.N = a.N;
  return g;
}

void run_gemm(ThreadPool& pool, trine_gemm_fn fn, const trine_gemm_args& args) {
  struct Call {
    trine_gemm_fn fn;
    const trine_gemm_args* args;
  } call{fn, &args};
  pool.run([](void* c, int tid, int n) {
    auto* call = static_cast<Call*>(c);
    call->fn(call->args, tid, n);
  }, &call);
}

}  // namespace trine
