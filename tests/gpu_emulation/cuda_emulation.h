// Just enough of CUDA's execution model on the host to run templates/cuda/model_ops.cuh and the
// W2A8 GEMV without a GPU. Each block's threads are fibers on the calling thread (cuda_emulation.cpp
// switches between them), run until they reach __syncthreads or a warp shuffle: a warp's lanes
// resume together once all of them have reached its shuffle, the block once every thread has
// reached __syncthreads, as on a GPU. Blocks run one after another. The rounding intrinsics are
// the IEEE operations they name. Test-only: it shows the GPU engine and its ops compute what the
// CPU does; the GPU runs the same sources through NVRTC.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>

#define TRINE_CUDA_EMULATION 1
#define __global__ inline  // the kernels are defined in every test file that includes them
#define __device__
#define __forceinline__ inline
#define __shared__ static  // per block on a GPU; blocks run one at a time here
#define __launch_bounds__(n)

struct trine_emu_dim3 {
  unsigned x = 1, y = 1, z = 1;
};
struct uint4 {
  unsigned x, y, z, w;
};
struct uint2 {
  unsigned x, y;
};
struct int4 {
  int x, y, z, w;
};

namespace trine_emu {

inline trine_emu_dim3 thread_idx, block_idx, block_dim, grid_dim;

// Runs kernel over grid_x x grid_y blocks of `threads` threads (a multiple of 32, at most 1024).
void launch(unsigned grid_x, unsigned grid_y, unsigned threads, const std::function<void()>& kernel);
void sync_block();  // __syncthreads
void sync_warp();   // every lane of the caller's warp
uint64_t& shuffle_slot(unsigned thread);

template <class T>
T shfl_xor(T v, int mask) {
  static_assert(sizeof(T) <= sizeof(uint64_t));
  const unsigned me = thread_idx.x;
  std::memcpy(&shuffle_slot(me), &v, sizeof(T));
  sync_warp();
  T out;
  std::memcpy(&out, &shuffle_slot((me & ~31u) | ((me % 32) ^ static_cast<unsigned>(mask))), sizeof(T));
  sync_warp();  // nobody overwrites a slot before its lane has read it
  return out;
}

}  // namespace trine_emu

#define threadIdx (trine_emu::thread_idx)
#define blockIdx (trine_emu::block_idx)
#define blockDim (trine_emu::block_dim)
#define gridDim (trine_emu::grid_dim)

inline void __syncthreads() { trine_emu::sync_block(); }
template <class T>
T __shfl_xor_sync(unsigned, T v, int mask) { return trine_emu::shfl_xor(v, mask); }
template <class T>
T __ldg(const T* p) { return *p; }
inline float __int2float_rn(int i) { return static_cast<float>(i); }
// Signed 8-bit lanes of a times those of b, plus c.
inline int __dp4a(int a, int b, int c) {
  for (int i = 0; i < 4; ++i) c += static_cast<int8_t>(a >> (8 * i)) * static_cast<int8_t>(b >> (8 * i));
  return c;
}
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline float __double2float_rn(double a) { return static_cast<float>(a); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline float __uint_as_float(unsigned i) { float f; std::memcpy(&f, &i, 4); return f; }
