// Prefill GEMM on int8 tensor cores: mma.sync m16n8k32 s8 x s8 -> s32, exact. The 2-bit codes
// go to shared memory as they are (4x fewer bytes than int8) and become A fragments with one
// shift and mask each; the activations are B, k-contiguous per token, i.e. the "col" operand.
// Accumulating codes (w+1) and subtracting qsum per token in the epilogue keeps it exact.
//   BM, BN  block tile (weight rows x tokens); BK is 64 k per stage
//   WM, WN  warps along M and N; a warp owns (BM/WM) x (BN/WN), in 16 x 8 mma tiles
//   STAGES  1: load, then compute; 2: cp.async double buffering, the next tile in flight
#ifndef TRINE_CUDA_W2A8_GEMM_CUH
#define TRINE_CUDA_W2A8_GEMM_CUH

#include "w2a8_common.cuh"

namespace trine_cuda {

constexpr int kGemmBK = 64;
constexpr int kCodeRowBytes = kGemmBK / 4;  // 16: one 16-byte vector per weight row and stage
constexpr int kActRowBytes = kGemmBK + 16;  // padded: fragment reads of 8 tokens hit 32 banks

// mma.m16n8k32 fragments (PTX ISA), lane = 4 * g + t:
//   A: a0 = A[g][4t..], a1 = A[g+8][4t..], a2 = A[g][16+4t..], a3 = A[g+8][16+4t..]
//   B: b0 = B[4t..][g], b1 = B[16+4t..][g];  C: c0,c1 = C[g][2t, 2t+1], c2,c3 = C[g+8][2t, 2t+1]
// With 16 k per code word, k 4t.. of a 32-k step is plane t of word 2*ks, and 16+4t.. of word 2*ks+1.
TRINE_HD void a_fragment(const unsigned* codes, int row, int ks, int t, unsigned (&a)[4]) {
  constexpr int kWordsPerRow = kCodeRowBytes / 4;
  a[0] = plane(codes[row * kWordsPerRow + 2 * ks], t);
  a[1] = plane(codes[(row + 8) * kWordsPerRow + 2 * ks], t);
  a[2] = plane(codes[row * kWordsPerRow + 2 * ks + 1], t);
  a[3] = plane(codes[(row + 8) * kWordsPerRow + 2 * ks + 1], t);
}
TRINE_HD void b_fragment(const unsigned* acts, int tok, int ks, int t, unsigned (&b)[2]) {
  constexpr int kWordsPerTok = kActRowBytes / 4;
  b[0] = acts[tok * kWordsPerTok + ks * 8 + t];
  b[1] = acts[tok * kWordsPerTok + ks * 8 + 4 + t];
}

#ifdef __CUDACC__

__device__ __forceinline__ void mma_s8(int (&c)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// 16 bytes global -> shared, zero filled when the source is out of range.
__device__ __forceinline__ void copy16(void* dst, const void* src, bool valid) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void copy_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int PENDING>
__device__ __forceinline__ void copy_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(PENDING)); }

template <int BM, int BN, int WM, int WN, int STAGES>
__device__ __forceinline__ void w2a8_gemm(const trine_cuda_args& a) {
  constexpr int kThreads = WM * WN * 32;
  constexpr int TM = BM / WM, TN = BN / WN, MI = TM / 16, NI = TN / 8;
  static_assert(TM % 16 == 0 && TN % 8 == 0, "warp tiles are whole 16 x 8 mma tiles");
  static_assert(STAGES == 1 || STAGES == 2, "STAGES: 1 or 2");
  __shared__ __align__(16) unsigned char codes_s[STAGES][BM * kCodeRowBytes];
  __shared__ __align__(16) unsigned char acts_s[STAGES][BN * kActRowBytes];

  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const int wm = (warp % WM) * TM, wn = (warp / WM) * TN;
  const long long wrow_bytes = static_cast<long long>(row_words(a.K)) * 4;
  const int ktiles = padded_k(a.K) / kGemmBK;

  auto load_tile = [&](int kt, int buf) {
    for (int i = threadIdx.x; i < BM; i += kThreads) {
      const int m = m0 + i;
      const unsigned char* src = a.w + (m < a.M ? m : 0) * wrow_bytes + kt * kCodeRowBytes;
      copy16(&codes_s[buf][i * kCodeRowBytes], src, m < a.M);
    }
    for (int i = threadIdx.x; i < BN * (kGemmBK / 16); i += kThreads) {
      const int tok = i / (kGemmBK / 16), part = i % (kGemmBK / 16), n = n0 + tok;
      const signed char* src = a.q + (n < a.N ? n : 0) * a.q_stride + kt * kGemmBK + part * 16;
      copy16(&acts_s[buf][tok * kActRowBytes + part * 16], src, n < a.N);
    }
  };

  int acc[MI][NI][4];
#pragma unroll
  for (int i = 0; i < MI; ++i)
#pragma unroll
    for (int j = 0; j < NI; ++j) acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0;

  load_tile(0, 0);
  copy_commit();
  for (int kt = 0; kt < ktiles; ++kt) {
    if (STAGES == 2) {
      if (kt + 1 < ktiles) load_tile(kt + 1, (kt + 1) % STAGES);
      copy_commit();  // possibly empty: keeps the group count in step
      copy_wait<1>();
    } else {
      copy_wait<0>();
    }
    __syncthreads();
    const unsigned* codes = reinterpret_cast<const unsigned*>(codes_s[kt % STAGES]);
    const unsigned* acts = reinterpret_cast<const unsigned*>(acts_s[kt % STAGES]);
#pragma unroll
    for (int ks = 0; ks < kGemmBK / 32; ++ks) {
      unsigned af[MI][4], bf[NI][2];
#pragma unroll
      for (int i = 0; i < MI; ++i) a_fragment(codes, wm + i * 16 + g, ks, t, af[i]);
#pragma unroll
      for (int j = 0; j < NI; ++j) b_fragment(acts, wn + j * 8 + g, ks, t, bf[j]);
#pragma unroll
      for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j) mma_s8(acc[i][j], af[i], bf[j]);
    }
    __syncthreads();
    if (STAGES == 1 && kt + 1 < ktiles) {
      load_tile(kt + 1, 0);
      copy_commit();
    }
  }

#pragma unroll
  for (int i = 0; i < MI; ++i)
#pragma unroll
    for (int j = 0; j < NI; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const int m = m0 + wm + i * 16 + g + (r / 2) * 8;
        const int n = n0 + wn + j * 8 + 2 * t + (r % 2);
        if (m < a.M && n < a.N)
          a.y[n * a.y_stride + m] = __fmul_rn(__int2float_rn(acc[i][j][r] - a.qsum[n]), a.scale[n]);
      }
}

#endif  // __CUDACC__

}  // namespace trine_cuda

#endif
