// Just enough of CUDA's execution model on the host to run templates/cuda/model_ops.cuh without a
// GPU: each block's threads are real threads (so __syncthreads and warp shuffles have their
// meaning), blocks run one after another, and the rounding intrinsics are the IEEE operations
// they name. Used only by tests: it shows the ops compute what the CPU engine does; the GPU runs
// the same source through NVRTC.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#define TRINE_CUDA_EMULATION 1
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
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

inline thread_local trine_emu_dim3 thread_idx;
inline trine_emu_dim3 block_idx, block_dim, grid_dim;

struct Block {
  std::barrier<> all;
  std::vector<std::unique_ptr<std::barrier<>>> warp;
  std::vector<uint64_t> lanes;  // each thread's shuffle value
  explicit Block(unsigned threads) : all(static_cast<std::ptrdiff_t>(threads)), lanes(threads) {
    for (unsigned w = 0; w < (threads + 31) / 32; ++w) warp.push_back(std::make_unique<std::barrier<>>(32));
  }
};
inline Block* block = nullptr;

// `threads` host threads that run one block at a time, created once per block size (a kernel
// launch is many blocks; creating 256 threads for each would dominate the tests).
class Workers {
 public:
  explicit Workers(unsigned threads) : start_(threads + 1), done_(threads + 1) {
    for (unsigned t = 0; t < threads; ++t)
      threads_.emplace_back([this, t] {
        thread_idx = {t, 0, 0};
        for (;;) {
          start_.arrive_and_wait();
          if (quit_) return;
          (*job_)();
          done_.arrive_and_wait();
        }
      });
  }
  ~Workers() {
    quit_ = true;
    start_.arrive_and_wait();
    for (std::thread& t : threads_) t.join();
  }
  void run(const std::function<void()>& job) {
    job_ = &job;
    start_.arrive_and_wait();
    done_.arrive_and_wait();
  }

 private:
  std::barrier<> start_, done_;
  std::vector<std::thread> threads_;
  const std::function<void()>* job_ = nullptr;
  bool quit_ = false;
};

// Runs kernel over grid x block threads, one block at a time (blocks share the static
// `__shared__` storage, which is per block on a GPU). threads must be a multiple of 32.
inline void launch(unsigned grid_x, unsigned grid_y, unsigned threads, const std::function<void()>& kernel) {
  static std::map<unsigned, std::unique_ptr<Workers>> pools;
  std::unique_ptr<Workers>& pool = pools[threads];
  if (!pool) pool = std::make_unique<Workers>(threads);
  block_dim = {threads, 1, 1};
  grid_dim = {grid_x, grid_y, 1};
  for (unsigned by = 0; by < grid_y; ++by)
    for (unsigned bx = 0; bx < grid_x; ++bx) {
      block_idx = {bx, by, 0};
      Block b(threads);
      block = &b;
      pool->run(kernel);
      block = nullptr;
    }
}

template <class T>
T shfl_xor(T v, int mask) {
  static_assert(sizeof(T) <= sizeof(uint64_t));
  const unsigned me = thread_idx.x, lane = me % 32, base = me - lane;
  std::memcpy(&block->lanes[me], &v, sizeof(T));
  block->warp[me / 32]->arrive_and_wait();
  T out;
  std::memcpy(&out, &block->lanes[base + (lane ^ static_cast<unsigned>(mask))], sizeof(T));
  block->warp[me / 32]->arrive_and_wait();  // nobody overwrites a slot before all have read
  return out;
}

}  // namespace trine_emu

#define threadIdx (trine_emu::thread_idx)
#define blockIdx (trine_emu::block_idx)
#define blockDim (trine_emu::block_dim)
#define gridDim (trine_emu::grid_dim)

inline void __syncthreads() { trine_emu::block->all.arrive_and_wait(); }
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
