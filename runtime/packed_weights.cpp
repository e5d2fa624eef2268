#include "runtime/packed_weights.h"

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
