// Persistent workers for kernels: a decode GEMV takes tens of microseconds, so a call must cost
// far less than creating threads. Workers spin briefly, then sleep on a futex, so an idle pool
// does not steal a core from a neighbour.
#pragma once
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace trine {

class ThreadPool {
 public:
  using Task = void (*)(void* ctx, int tid, int nthreads);

  // nthreads counts the calling thread, which runs tid 0. pin: bind worker t to the t-th CPU this
  // process may use (mod their count); the caller is left unpinned, since threads it creates later
  // would inherit its mask. A task must not throw: an exception ends the process.
  explicit ThreadPool(int nthreads, bool pin = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return d_.nthreads; }
  // Runs task(ctx, tid, size()) on every thread and returns when all have finished.
  void run(Task task, void* ctx);
  template <class F>
  void run(F& f) {
    run([](void* c, int tid, int n) { (*static_cast<F*>(c))(tid, n); }, &f);
  }

 private:
  void worker(int tid);
  void stop_workers();
  // What a worker reads to start a run, in one cache line that only the caller's thread writes:
  // a spinning worker gets the new epoch and the task in one transfer between cores. With task and
  // context on the line of the pool's other fields and the stop flag beside a shared completion
  // count, a run crossed cores about five times: an empty 2-thread run took 0.63 us (5 % of a
  // 12 us k,v decode call), now 0.36 us.
  struct alignas(64) Dispatch {
    std::atomic<uint32_t> epoch{0};
    std::atomic<bool> stop{false};
    int nthreads = 1;
    Task task = nullptr;
    void* ctx = nullptr;
  };
  // Each worker publishes the epoch it last finished on a line of its own, so finishing is one
  // store that no other worker contends for.
  struct alignas(64) Done {
    std::atomic<uint32_t> epoch{0};
  };
  Dispatch d_;
  std::vector<Done> done_;  // by tid; done_[0] unused
  std::vector<std::thread> threads_;
  bool spin_ = true;  // false when the pool has more threads than this process has CPUs
};

}  // namespace trine
