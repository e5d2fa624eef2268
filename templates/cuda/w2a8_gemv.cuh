// Decode GEMV (and any small N): TPR threads share one weight row, each streaming VEC-byte
// vectors of it with UNROLL loads in flight, dp4a on the decoded codes, then a shuffle reduction.
// Activations are read through the read-only cache: every row of a block reads the same q.
//   TPR    threads per row (4..32): few for long rows in flight, many for short K
//   WARPS  warps per block; rows per block = WARPS * 32 / TPR
//   VEC    bytes of weights per load (4, 8 or 16): 16, 32 or 64 weights
//   UNROLL independent loads per thread per step
#ifndef TRINE_CUDA_W2A8_GEMV_CUH
#define TRINE_CUDA_W2A8_GEMV_CUH

#include "w2a8_common.cuh"

namespace trine_cuda {

template <int VEC>
struct WeightVec;
template <>
struct WeightVec<4> {
  static __device__ __forceinline__ void load(const unsigned* p, unsigned (&w)[1]) { w[0] = __ldg(p); }
};
template <>
struct WeightVec<8> {
  static __device__ __forceinline__ void load(const unsigned* p, unsigned (&w)[2]) {
    const uint2 v = __ldg(reinterpret_cast<const uint2*>(p));
    w[0] = v.x, w[1] = v.y;
  }
};
template <>
struct WeightVec<16> {
  static __device__ __forceinline__ void load(const unsigned* p, unsigned (&w)[4]) {
    const uint4 v = __ldg(reinterpret_cast<const uint4*>(p));
    w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
  }
};

// One weight word against the 16 activations it covers (one int4 of q).
__device__ __forceinline__ int dot_word(unsigned word, int4 a, int acc) {
  acc = __dp4a(static_cast<int>(plane(word, 0)), a.x, acc);
  acc = __dp4a(static_cast<int>(plane(word, 1)), a.y, acc);
  acc = __dp4a(static_cast<int>(plane(word, 2)), a.z, acc);
  return __dp4a(static_cast<int>(plane(word, 3)), a.w, acc);
}

template <int TPR, int WARPS, int VEC, int UNROLL>
__device__ __forceinline__ void w2a8_gemv(const trine_cuda_args& a) {
  static_assert(TPR >= 1 && TPR <= 32 && (TPR & (TPR - 1)) == 0, "TPR: a power of two up to a warp");
  static_assert(VEC == 4 || VEC == 8 || VEC == 16, "VEC: 4, 8 or 16 bytes");
  constexpr int kWords = VEC / 4;             // weight words per load
  constexpr int kRows = WARPS * 32 / TPR;     // rows per block
  constexpr int kStep = TPR * kWords * UNROLL;  // words a row group advances per step
  const int sub = threadIdx.x % TPR;
  const int row = blockIdx.x * kRows + threadIdx.x / TPR;
  const bool live = row < a.M;
  const int words = row_words(a.K);
  const unsigned* wrow = reinterpret_cast<const unsigned*>(a.w) + static_cast<long long>(live ? row : 0) * words;
  for (int n = 0; n < a.N; ++n) {
    const int4* qn = reinterpret_cast<const int4*>(a.q + n * a.q_stride);
    int acc = 0;
    if (live) {
      for (int j0 = sub * kWords; j0 < words; j0 += kStep) {
        unsigned w[UNROLL][kWords];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u)
          if (j0 + u * TPR * kWords < words) WeightVec<VEC>::load(wrow + j0 + u * TPR * kWords, w[u]);
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
          const int j = j0 + u * TPR * kWords;
          if (j < words) {
#pragma unroll
            for (int i = 0; i < kWords; ++i) acc = dot_word(w[u][i], __ldg(qn + j + i), acc);
          }
        }
      }
    }
    // Every lane reaches the shuffles (dead rows carry 0), so full masks are safe.
#pragma unroll
    for (int off = TPR / 2; off > 0; off /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, off);
    if (live && sub == 0)
      a.y[n * a.y_stride + row] = __fmul_rn(__int2float_rn(acc - a.qsum[n]), a.scale[n]);
  }
}

}  // namespace trine_cuda

#endif
