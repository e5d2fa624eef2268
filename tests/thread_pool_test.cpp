#include "runtime/thread_pool.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace trine {
namespace {

using namespace std::chrono_literals;

// Runs the pool `runs` times; after each run every tid must have run exactly once more.
void check_each_tid_once(int nthreads, int runs) {
  ThreadPool pool(nthreads);
  ASSERT_EQ(pool.size(), nthreads);
  std::vector<std::atomic<int>> counts(nthreads);
  std::atomic<int> wrong_n{0};
  int bad_runs = 0;
  for (int r = 0; r < runs; ++r) {
    auto task = [&](int tid, int n) {
      if (n != nthreads) wrong_n.fetch_add(1);
      counts[tid].fetch_add(1, std::memory_order_relaxed);
    };
    pool.run(task);
    for (int t = 0; t < nthreads; ++t)
      if (counts[t].load(std::memory_order_relaxed) != r + 1) ++bad_runs;
  }
  EXPECT_EQ(bad_runs, 0);
  EXPECT_EQ(wrong_n.load(), 0);
  for (int t = 0; t < nthreads; ++t) EXPECT_EQ(counts[t].load(), runs) << "tid " << t;
}

TEST(ThreadPool, EveryTidRunsExactlyOncePerRun) {
  check_each_tid_once(2, 10000);
  check_each_tid_once(3, 10000);
  check_each_tid_once(4, 10000);
}

// More threads than cores: workers get descheduled mid-spin, the path most likely to hang.
TEST(ThreadPool, OversubscribedPoolStillRunsEveryTidOnce) { check_each_tid_once(8, 2000); }

TEST(ThreadPool, RunReturnsOnlyAfterSlowWorkersFinish) {
  ThreadPool pool(3);
  for (int r = 0; r < 20; ++r) {
    std::vector<int> out(3, 0);  // plain ints: run() must publish the workers' writes
    auto task = [&](int tid, int) {
      if (tid != 0) std::this_thread::sleep_for(1ms);
      out[tid] = r + tid;
    };
    pool.run(task);
    EXPECT_EQ(out, (std::vector<int>{r, r + 1, r + 2}));
  }
}

TEST(ThreadPool, PoolOfOneRunsInlineOnTheCaller) {
  ThreadPool pool(1);
  EXPECT_EQ(pool.size(), 1);
  int calls = 0, seen_tid = -1, seen_n = -1;
  std::thread::id where;
  auto task = [&](int tid, int n) {
    ++calls;
    seen_tid = tid;
    seen_n = n;
    where = std::this_thread::get_id();
  };
  for (int i = 0; i < 5; ++i) pool.run(task);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(seen_tid, 0);
  EXPECT_EQ(seen_n, 1);
  EXPECT_EQ(where, std::this_thread::get_id());
}

TEST(ThreadPool, NonPositiveSizeMeansOne) {
  EXPECT_EQ(ThreadPool(0).size(), 1);
  EXPECT_EQ(ThreadPool(-3).size(), 1);
}

TEST(ThreadPool, RawTaskPointerAndContext) {
  ThreadPool pool(2);
  std::atomic<int> sum{0};
  pool.run([](void* ctx, int tid,
              int n) { static_cast<std::atomic<int>*>(ctx)->fetch_add(10 * n + tid); },
           &sum);
  EXPECT_EQ(sum.load(), (20 + 0) + (20 + 1));
}

// Destroys the pool on another thread so a hang fails the test instead of stalling the suite.
bool destroyed_within(std::unique_ptr<ThreadPool> pool, std::chrono::seconds limit) {
  auto done = std::async(std::launch::async, [p = std::move(pool)]() mutable { p.reset(); });
  return done.wait_for(limit) == std::future_status::ready;
}

TEST(ThreadPool, SleepingWorkersWakeAndDestroyCleanly) {
  auto pool = std::make_unique<ThreadPool>(4);
  std::atomic<int> ran{0};
  auto task = [&](int, int) { ran.fetch_add(1); };
  pool->run(task);
  std::this_thread::sleep_for(30ms);  // far past the ~1 ms spin: the workers are in futex wait
  pool->run(task);
  EXPECT_EQ(ran.load(), 8);
  std::this_thread::sleep_for(30ms);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(destroyed_within(std::move(pool), std::chrono::seconds(10)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(ThreadPool, DestroyedWithoutEverRunning) {
  for (int i = 0; i < 50; ++i) {
    // Some workers have not even started yet when the destructor runs.
    ASSERT_TRUE(destroyed_within(std::make_unique<ThreadPool>(3), std::chrono::seconds(10)));
  }
}

TEST(ThreadPool, PinnedWorkersRunOnTheirCpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  const int n = 3;
  ThreadPool pool(n, /*pin=*/true);
  std::vector<int> where(n, -1);
  auto task = [&](int tid, int) { where[tid] = sched_getcpu(); };
  pool.run(task);
  for (int tid = 1; tid < n; ++tid)
    EXPECT_EQ(where[tid], cpus[tid % cpus.size()]) << "worker " << tid;
  // The caller is not pinned: its mask is what it was.
  cpu_set_t after;
  CPU_ZERO(&after);
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&set, &after));
}

}  // namespace
}  // namespace trine
