#include "bench/roofline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "bench/probe_loops.h"
#include "runtime/error.h"

namespace trine::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr long kIters = 1000000;

}  // namespace

std::size_t read_probe_bytes(const HostInfo& host) {
  return std::max<std::size_t>(8 * host.cache.l3, std::size_t{256} << 20);
}

ReadProbe::ReadProbe(ThreadPool& pool, std::size_t bytes) : pool_(pool), buf_(bytes) {
  std::memset(buf_.data(), 1, bytes);  // touch every page before timing
}

double ReadProbe::pass(int streams) {
  std::atomic<uint64_t> sink{0};
  const std::size_t per = buf_.size() / pool_.size() / 4096 * 4096;
  std::atomic<std::size_t> read{0};
  auto body = [&](int tid, int) {
    std::size_t mine = 0;
    sink += read_pass(buf_.data() + per * tid, per, streams, &mine);
    if (tid == 0) read = mine;
  };
  const auto t0 = Clock::now();
  pool_.run(body);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(read.load() * pool_.size()) / s / 1e9;
}

double ReadProbe::gbps() {
  double best = 0;
  for (int s : kReadStreams) best = std::max(best, pass(s));
  return best;
}

namespace {

// Slices start on 512-byte boundaries so read_pass reads each whole.
std::size_t read_call_offset(std::size_t bytes, int tid, int n) {
  return tid == n ? read_call_bytes(bytes) : read_call_bytes(bytes / static_cast<std::size_t>(n) * static_cast<std::size_t>(tid));
}

std::atomic<uint64_t> read_call_sink{0};  // every load feeds it, so none is dropped

template <int S>
void read_slice(const trine_gemm_args* args, int32_t tid, int32_t nthreads) {
  const std::size_t bytes = static_cast<std::size_t>(args->K);
  const std::size_t b0 = read_call_offset(bytes, tid, nthreads), b1 = read_call_offset(bytes, tid + 1, nthreads);
  std::size_t read = 0;
  read_call_sink.fetch_add(read_pass(args->w + b0, b1 - b0, S, &read), std::memory_order_relaxed);
}

}  // namespace

std::size_t read_call_bytes(std::size_t bytes) { return bytes / 512 * 512; }

trine_gemm_fn read_call_fn(int streams) {
  if (!valid_read_streams(streams)) throw Error(fmt::format("a call read has 1 to 4 streams, not {}", streams));
  switch (streams) {
    case 4: return read_slice<4>;
    case 3: return read_slice<3>;
    case 2: return read_slice<2>;
    default: return read_slice<1>;
  }
}

double int8_peak_gmacs(ThreadPool& pool, Isa isa) {
  // Checked here, not in the pool: a task must not throw.
  if (!has_int8_peak_loop(isa))
    throw Error(fmt::format("no int8 peak probe for {} in this build ({})", isa_name(isa), kProbeArch));
  std::atomic<long> macs_per_iter{0};
  auto body = [&](int, int) { macs_per_iter = int8_peak_loop(isa, kIters); };
  const auto t0 = Clock::now();
  pool.run(body);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(kIters) * static_cast<double>(macs_per_iter.load()) * pool.size() / s / 1e9;
}

}  // namespace trine::bench
