#include "runtime/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>

namespace trine {

namespace {

// Longer than any gap between two kernel calls of a decode step, short enough that an idle pool
// gives its cores back within a millisecond. 50 us was not: the single-threaded norm, relu2 and
// quantization between `up` and `down` sometimes outlast it, and waking a worker from its futex
// takes ~60 us on a VM (2B4T decode, down_proj: median 108 us, p90 158 us; with 1 ms, p90 112 us).
constexpr auto kSpinTime = std::chrono::microseconds(1000);

// Tells the core this is a spin-wait: it yields pipeline resources to the sibling hyperthread
// (x86 pause) or hints that another core is awaited (Arm yield).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

// Blocks until done(value) holds: pause-spin for kSpinTime, then sleep in atomic::wait (a futex),
// which rechecks the value in the kernel, so a change between our load and the sleep is not lost.
template <class T, class Done>
void spin_then_wait(const std::atomic<T>& a, bool spin, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (unsigned i = 1; spin; ++i) {
    if (done(a.load(std::memory_order_acquire))) return;
    cpu_relax();
    // The clock costs ~20 ns, a pause up to ~40; reading it every 16 pauses keeps the bound tight.
    if (i % 16 == 0 && std::chrono::steady_clock::now() >= deadline) break;
  }
  for (T v = a.load(std::memory_order_acquire); !done(v); v = a.load(std::memory_order_acquire))
    a.wait(v, std::memory_order_acquire);
}

// Kernels don't throw; an exception escaping a task would leave other threads inside it with a
// dangling ctx, so it ends the process on every thread, including tid 0.
void call_task(ThreadPool::Task task, void* ctx, int tid, int n) noexcept { task(ctx, tid, n); }

std::vector<int> process_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// Pinning is a hint for steadier timings; a refusal (a restricted container) is not an error.
void pin_thread(std::thread& t, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(t.native_handle(), sizeof set, &set);
}

}  // namespace

ThreadPool::ThreadPool(int nthreads, bool pin) : done_(nthreads < 1 ? 1 : nthreads) {
  d_.nthreads = nthreads < 1 ? 1 : nthreads;
  const std::vector<int> cpus = process_cpus();
  // With more threads than CPUs a spinning thread holds the core the thread it waits for needs
  // (measured: 110 us a run instead of 1 us), so an oversubscribed pool sleeps at once.
  spin_ = !cpus.empty() && static_cast<std::size_t>(d_.nthreads) <= cpus.size();
  try {
    for (int tid = 1; tid < d_.nthreads; ++tid) {
      threads_.emplace_back([this, tid] { worker(tid); });
      if (pin && !cpus.empty()) pin_thread(threads_.back(), cpus[tid % cpus.size()]);
    }
  } catch (...) {
    stop_workers();
    throw;
  }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  d_.stop.store(true, std::memory_order_relaxed);
  // The release bump publishes stop to a worker that wakes on the new epoch.
  d_.epoch.fetch_add(1, std::memory_order_release);
  d_.epoch.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void ThreadPool::run(Task task, void* ctx) {
  if (d_.nthreads == 1) {
    call_task(task, ctx, 0, 1);
    return;
  }
  // Safe to overwrite: the previous run() returned only after every worker was done reading.
  d_.task = task;
  d_.ctx = ctx;
  const uint32_t epoch = d_.epoch.load(std::memory_order_relaxed) + 1;
  d_.epoch.store(epoch, std::memory_order_release);
  d_.epoch.notify_all();  // no system call unless a worker is asleep
  call_task(task, ctx, 0, d_.nthreads);
  for (int tid = 1; tid < d_.nthreads; ++tid)
    spin_then_wait(done_[tid].epoch, spin_, [epoch](uint32_t e) { return e == epoch; });
}

void ThreadPool::worker(int tid) {
  // Not a load: run() may already have bumped the epoch before this thread got scheduled.
  uint32_t seen = 0;
  for (;;) {
    spin_then_wait(d_.epoch, spin_, [seen](uint32_t e) { return e != seen; });
    seen = d_.epoch.load(std::memory_order_acquire);
    if (d_.stop.load(std::memory_order_relaxed)) return;
    call_task(d_.task, d_.ctx, tid, d_.nthreads);
    done_[tid].epoch.store(seen, std::memory_order_release);
    done_[tid].epoch.notify_one();
  }
}

}  // namespace trine
