#include "runtime/measure.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "runtime/packed_weights.h"

namespace trine {

namespace {

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

TimingStats summarize(std::vector<double> samples) {
  TimingStats s;
  std::sort(samples.begin(), samples.end());
  s.n = static_cast<int>(samples.size());
  if (samples.empty()) return s;
  s.median_s = quantile(samples, 0.5);
  s.p20_s = quantile(samples, 0.2);
  s.p80_s = quantile(samples, 0.8);
  s.min_s = samples.front();
  return s;
}

ColdCopies::ColdCopies(const uint8_t* src, std::size_t bytes, std::size_t min_total) {
  stride_ = (bytes + 4095) / 4096 * 4096;
  count_ = std::max<std::size_t>(2, (min_total + stride_ - 1) / stride_);
  buf_.resize(stride_ * count_);
  for (std::size_t i = 0; i < count_; ++i) std::copy(src, src + bytes, buf_.data() + i * stride_);
  order_.resize(count_);
  for (std::size_t i = 0; i < count_; ++i) order_[i] = i;
  std::mt19937_64 rng(count_);
  std::shuffle(order_.begin(), order_.end(), rng);
  // No two consecutive calls on neighbouring copies, wrap-around included.
  for (std::size_t i = 0; i + 1 < count_ * 2 && count_ > 3; ++i) {
    const std::size_t a = i % count_, b = (i + 1) % count_;
    const std::size_t d = order_[a] > order_[b] ? order_[a] - order_[b] : order_[b] - order_[a];
    if (d <= 1) std::swap(order_[b], order_[(b + 1 + count_ / 2) % count_]);
  }
}

const uint8_t* ColdCopies::next() {
  const uint8_t* p = buf_.data() + order_[next_] * stride_;
  next_ = (next_ + 1) % count_;
  return p;
}

// Four LLCs of copies are far enough past the cache. No more: every packed layout of a search
// holds its own copies, and on this VM memory left untouched for a while answers slower (the
// host reclaims it), so with a few GB of copies the layouts visited least were timed up to 1.7x
// slow and one family lost to the others' footprint rather than to its own speed.
std::size_t cold_bytes_for(std::size_t llc_bytes, std::size_t sets) {
  const std::size_t floor = std::size_t{64} << 20, want = std::max(4 * llc_bytes, floor);
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return want;
  const std::size_t budget = static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) / 4 / std::max<std::size_t>(sets, 1);
  return std::max(floor, std::min(want, budget));
}

double time_call(ThreadPool& pool, TimedKernel& k) {
  if (k.cold) k.args.w = k.cold->next();
  const auto t0 = std::chrono::steady_clock::now();
  run_gemm(pool, k.fn, k.args);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(t1 - t0).count();
}

void time_interleaved(ThreadPool& pool, const std::vector<TimedKernel*>& kernels, int reps, std::mt19937_64& rng) {
  std::vector<TimedKernel*> order = kernels;
  for (int r = 0; r < reps; ++r) {
    std::shuffle(order.begin(), order.end(), rng);
    for (TimedKernel* k : order) k->samples.push_back(time_call(pool, *k));
  }
}

}  // namespace trine
