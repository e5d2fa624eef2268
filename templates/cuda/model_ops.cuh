// The BitNet forward pass's operations other than the ternary matmuls, for the GPU engine
// (gpu/cuda_engine.cpp): embedding lookup, RMSNorm, per-token int8 quantization, RoPE, causal
// attention over the KV cache, relu²·up, the residual add and the tied lm_head. Each follows the
// CPU engine's arithmetic (runtime/cpu_engine.cpp) operation for operation, every float operation
// written as an explicitly rounded intrinsic and compiled without FMA contraction, so what differs
// from the CPU is only the order of long sums. Quantization is exact to the kernel contract.
// NVRTC has no standard headers: builtin types only. The host includes this header for the
// argument types and the block size; the kernels are device code only.
#ifndef TRINE_CUDA_MODEL_OPS_CUH
#define TRINE_CUDA_MODEL_OPS_CUH

// The quantized activations feed up to three projections (q, k, v share them; gate and up);
// each needs its epilogue factor wscale / s[n], computed once per token in float as the
// contract says.
struct trine_quant_scales {
  float wscale[3];
  float* out[3];  // [N] each
  int count;
};

namespace trine_cuda {
constexpr int kOpThreads = 256;  // block size of every op below; a multiple of 32
}  // namespace trine_cuda

#if defined(__CUDACC__) || defined(TRINE_CUDA_EMULATION)  // tests/cuda_emulation.h runs them on the host
namespace trine_cuda {

struct OpSum {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct OpMax {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Every thread of the block gets f over all threads' v. Safe to call again right after: it
// synchronizes before reusing its shared slots.
template <class T, class F>
__device__ __forceinline__ T block_reduce(T v, T identity, F f) {
  __shared__ T part[32];
  for (int off = 16; off > 0; off /= 2) v = f(v, __shfl_xor_sync(0xffffffffu, v, off));
  __syncthreads();
  if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
  __syncthreads();
  v = threadIdx.x % 32 < blockDim.x / 32 ? part[threadIdx.x % 32] : identity;  // every warp sums all warps
  for (int off = 16; off > 0; off /= 2) v = f(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}

__device__ __forceinline__ float bf16_to_float(unsigned short b) { return __uint_as_float(static_cast<unsigned>(b) << 16); }

}  // namespace trine_cuda

// x[t][:] = row ids[t] of the table; bf16 != 0: the table is bf16, else fp32. Grid: N blocks.
extern "C" __global__ void __launch_bounds__(trine_cuda::kOpThreads)
    trine_op_embed(const void* table, int bf16, const int* ids, int H, float* x) {
  const long long row = static_cast<long long>(ids[blockIdx.x]) * H;
  float* out = x + static_cast<long long>(blockIdx.x) * H;
  for (int i = threadIdx.x; i < H; i += blockDim.x)
    out[i] = bf16 ? trine_cuda::bf16_to_float(static_cast<const unsigned short*>(table)[row + i])
                  : static_cast<const float*>(table)[row + i];
}

// y = w * (x * r), r = 1 / sqrt(mean(x²) + eps), the sum of squares in double as on the CPU.
// Rows of D floats, x and y may alias. Grid: N blocks.
extern "C" __global__ void __launch_bounds__(trine_cuda::kOpThreads)
    trine_op_rmsnorm(const float* x, const float* w, float eps, int D, float* y) {
  const float* xr = x + static_cast<long long>(blockIdx.x) * D;
  float* yr = y + static_cast<long long>(blockIdx.x) * D;
  double ss = 0;
  for (int i = threadIdx.x; i < D; i += blockDim.x) ss += static_cast<double>(xr[i]) * static_cast<double>(xr[i]);
  ss = trine_cuda::block_reduce(ss, 0.0, trine_cuda::OpSum());
  const float r = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(__double2float_rn(ss / D), eps)));
  for (int i = threadIdx.x; i < D; i += blockDim.x) yr[i] = __fmul_rn(w[i], __fmul_rn(xr[i], r));
}

// The contract's per-token quantization: s = 127 / max(amax, 1e-5), q = clamp(rint(x s)), rows
// zero padded from D to q_stride; qsum and s per token, and each projection's wscale / s.
// Grid: N blocks.
extern "C" __global__ void __launch_bounds__(trine_cuda::kOpThreads)
    trine_op_quantize(const float* x, int D, signed char* q, long long q_stride, int* qsum, float* s_out,
                      trine_quant_scales scales) {
  const float* xr = x + static_cast<long long>(blockIdx.x) * D;
  signed char* qr = q + static_cast<long long>(blockIdx.x) * q_stride;
  float amax = 0.0f;
  for (int i = threadIdx.x; i < D; i += blockDim.x) amax = fmaxf(amax, fabsf(xr[i]));
  amax = trine_cuda::block_reduce(amax, 0.0f, trine_cuda::OpMax());
  const float s = __fdiv_rn(127.0f, fmaxf(amax, 1e-5f));
  int sum = 0;
  for (int i = threadIdx.x; i < q_stride; i += blockDim.x) {
    int v = 0;
    if (i < D) v = static_cast<int>(fminf(127.0f, fmaxf(-128.0f, rintf(__fmul_rn(xr[i], s)))));
    qr[i] = static_cast<signed char>(v);
    sum += v;
  }
  sum = trine_cuda::block_reduce(sum, 0, trine_cuda::OpSum());
  if (threadIdx.x == 0) {
    qsum[blockIdx.x] = sum;
    s_out[blockIdx.x] = s;
    for (int j = 0; j < scales.count; ++j) scales.out[j][blockIdx.x] = __fdiv_rn(scales.wscale[j], s);
  }
}

// NeoX RoPE on `heads` heads of hd floats per row (rows row_stride floats apart) for tokens at
// positions pos0 + blockIdx.x, with cos and sin of position x inv_freq precomputed on the host
// exactly as the CPU computes them: cs[pos][i] = {cos, sin}. Grid: N blocks.
extern "C" __global__ void __launch_bounds__(trine_cuda::kOpThreads)
    trine_op_rope(float* x, long long row_stride, int heads, int hd, int pos0, const float* cs) {
  const int half = hd / 2;
  float* row = x + static_cast<long long>(blockIdx.x) * row_stride;
  const float* c = cs + static_cast<long long>(pos0 + blockIdx.x) * half * 2;
  for (int idx = threadIdx.x; idx < heads * half; idx += blockDim.x) {
    const int h = idx / half, i = idx % half;
    float* v = row + h * hd;
    const float a = v[i], b = v[i + half], co = c[2 * i], si = c[2 * i + 1];
    v[i] = __fsub_rn(__fmul_rn(a, co), __fmul_rn(b, si));
    v[i + half] = __fadd_rn(__fmul_rn(b, co), __fmul_rn(a, si));
  }
}

// Causal attention for token t = blockIdx.y at position pos0 + t, head blockIdx.x: softmax of
// q . K[s] * scale over s <= pos0 + t, times V. K and V are one layer's cache rows of kv_dim
// floats; head h reads kv head h / group. scratch holds ctx floats per (token, head). Grid:
// heads x N blocks.
extern "C" __global__ void __launch_bounds__(trine_cuda::kOpThreads)
    trine_op_attention(const float* q, const float* K, const float* V, int pos0, int heads, int group, int hd,
                       int kv_dim, float scale, float* scratch, int ctx, float* out) {
  const int head = blockIdx.x, t = blockIdx.y, len = pos0 + t + 1;
  const float* qh = q + (static_cast<long long>(t) * heads + head) * hd;
  const long long kv_off = static_cast<long long>(head / group) * hd;
  float* p = scratch + (static_cast<long long>(t) * heads + head) * ctx;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  float mx = -__int_as_float(0x7f800000);
  for (int s = warp; s < len; s += warps) {
    const float* k = K + static_cast<long long>(s) * kv_dim + kv_off;
    float d = 0.0f;
    for (int i = lane; i < hd; i += 32) d = __fadd_rn(d, __fmul_rn(qh[i], k[i]));
    for (int off = 16; off > 0; off /= 2) d = __fadd_rn(d, __shfl_xor_sync(0xffffffffu, d, off));
    d = __fmul_rn(d, scale);
    if (lane == 0) p[s] = d;
    mx = fmaxf(mx, d);
  }
  mx = trine_cuda::block_reduce(mx, -__int_as_float(0x7f800000), trine_cuda::OpMax());  // also orders p's writes
  float sum = 0.0f;
  for (int s = threadIdx.x; s < len; s += blockDim.x) {
    const float e = expf(__fsub_rn(p[s], mx));
    p[s] = e;
    sum = __fadd_rn(sum, e);
  }
  sum = trine_cuda::block_reduce(sum, 0.0f, trine_cuda::OpSum());
  float* o = out + (static_cast<long long>(t) * heads + head) * hd;
  for (int i = threadIdx.x; i < hd; i += blockDim.x) {
    float acc = 0.0f;
    for (int s = 0; s < len; ++s) acc = __fadd_rn(acc, __fmul_rn(__fdiv_rn(p[s], sum), V[static_cast<long long>(s) * kv_dim + kv_off + i]));
    o[i] = acc;
  }
}

// x += d over count floats. Grid: any.
extern "C" __global__ void __launch_bounds__(trine_cuda::kOpThreads) trine_op_add(float* x, const float* d, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    x[i] = __fadd_rn(x[i], d[i]);
}

// out = relu(g)² · u over count floats. Grid: any.
extern "C" __global__ void __launch_bounds__(trine_cuda::kOpThreads)
    trine_op_relu2_mul(const float* g, const float* u, float* out, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float r = fmaxf(g[i], 0.0f);
    out[i] = __fmul_rn(__fmul_rn(r, r), u[i]);
  }
}

// The tied lm_head for one token: logits[v] = table[v] . h, one warp per vocabulary row.
// kind 0: fp32 table; 1: bf16; 2: int8 with row_scale[v] multiplied after the dot product.
// Grid: ceil(V / warps per block) blocks.
extern "C" __global__ void __launch_bounds__(trine_cuda::kOpThreads)
    trine_op_lm_head(const void* table, int kind, const float* row_scale, const float* h, int H, int V, float* logits) {
  const int lane = threadIdx.x % 32;
  const int v = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  if (v >= V) return;
  const long long row = static_cast<long long>(v) * H;
  float d = 0.0f;
  if (kind == 1) {
    const unsigned short* r = static_cast<const unsigned short*>(table) + row;
    if (H % 8 == 0) {  // 16-byte loads: eight bf16 per lane
      for (int i = lane * 8; i < H; i += 256) {
        const uint4 w = __ldg(reinterpret_cast<const uint4*>(r + i));
        const unsigned words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          d = __fadd_rn(d, __fmul_rn(__uint_as_float(words[j] << 16), h[i + 2 * j]));
          d = __fadd_rn(d, __fmul_rn(__uint_as_float(words[j] & 0xffff0000u), h[i + 2 * j + 1]));
        }
      }
    } else {
      for (int i = lane; i < H; i += 32) d = __fadd_rn(d, __fmul_rn(trine_cuda::bf16_to_float(r[i]), h[i]));
    }
  } else if (kind == 2) {
    const signed char* r = static_cast<const signed char*>(table) + row;
    for (int i = lane; i < H; i += 32) d = __fadd_rn(d, __fmul_rn(static_cast<float>(r[i]), h[i]));
  } else {
    const float* r = static_cast<const float*>(table) + row;
    for (int i = lane; i < H; i += 32) d = __fadd_rn(d, __fmul_rn(r[i], h[i]));
  }
  for (int off = 16; off > 0; off /= 2) d = __fadd_rn(d, __shfl_xor_sync(0xffffffffu, d, off));
  if (lane == 0) logits[v] = kind == 2 ? __fmul_rn(row_scale[v], d) : d;
}

#endif  // __CUDACC__ || TRINE_CUDA_EMULATION
#endif
