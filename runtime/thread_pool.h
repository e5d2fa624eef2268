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

  int size() const { return nthreads_; }
  // Runs task(ctx, tid, size()) on every thread and returns when all have finished.
  void run(Task task, void* ctx);
  template <class F>
  void run(F& f) {
    run([](void* c, int tid, int n) { (*static_cast<F*>(c))(tid, n); }, &f);
  }

 private:
  void worker(int tid);
  void stop_workers();
  int nthreads_;
  std::vector<std::thread> threads_;
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  alignas(64) std::atomic<uint32_t> epoch_{0};
  alignas(64) std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  bool spin_ = true;  // false when the pool has more threads than this process has CPUs
};

}  // namespace trine
