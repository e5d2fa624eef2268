// The measurement protocol shared by the tuner and the benchmarks: time kernels the way inference
// runs them. Decode GEMVs stream their weights from DRAM, so they rotate over copies of the packed
// weights that together exceed the last-level cache; candidates are interleaved in a shuffled
// order every repetition so drift and neighbours' load hit all of them alike; results are medians
// with their spread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "runtime/aligned_buffer.h"
#include "runtime/kernel_abi.h"
#include "runtime/thread_pool.h"
#include "runtime/tuning_db.h"

namespace trine {

TimingStats summarize(std::vector<double> samples);

// Copies of one packed weight tensor, handed out in a fixed shuffled order: were copy i + 1 next
// in memory to copy i, the hardware prefetcher would stream the next call's weights during this
// one and flatter the kernel.
class ColdCopies {
 public:
  // At least min_total bytes in all (and two copies), each copy starting on its own page.
  ColdCopies(const uint8_t* src, std::size_t bytes, std::size_t min_total);
  std::size_t count() const { return count_; }
  std::size_t total_bytes() const { return stride_ * count_; }
  const uint8_t* next();

 private:
  AlignedBuffer<uint8_t> buf_;
  std::vector<std::size_t> order_;
  std::size_t stride_ = 0, count_ = 0, next_ = 0;
};

// Bytes of weight copies a decode timing needs: well past the last-level cache, for each of `sets`
// packed layouts timed at once, within a quarter of the machine's memory in all (hypervisors may
// report a host-wide L3 of hundreds of MiB, and 4x that per layout would exhaust a VM).
std::size_t cold_bytes_for(std::size_t llc_bytes, std::size_t sets = 1);

struct TimedKernel {
  trine_gemm_fn fn = nullptr;
  trine_gemm_args args{};
  ColdCopies* cold = nullptr;  // null: hot (weights at args.w stay cached, as in prefill)
  std::vector<double> samples;  // seconds per call
};

// Seconds for one call across the pool.
double time_call(ThreadPool& pool, TimedKernel& k);
// reps rounds; each round calls every kernel once, in a fresh random order.
void time_interleaved(ThreadPool& pool, const std::vector<TimedKernel*>& kernels, int reps, std::mt19937_64& rng);

}  // namespace trine
