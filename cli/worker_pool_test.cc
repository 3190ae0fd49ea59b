// WorkerPool: every task runs once, results land in their own slots whatever the thread
// count, the lowest failing index wins, exceptions become errors, prefixes can be consumed
// while later tasks run, and no thread outlives the pool.
#include "cli/worker_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace credsim {
namespace {

using std::chrono::milliseconds;

// A gate tasks wait at until the test opens it.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(WorkerPool, EveryTaskRunsOnceIntoItsSlotForAnyThreadCount) {
  constexpr size_t kTasks = 37;
  for (int threads : {1, 2, 5, 100}) {
    std::vector<uint64_t> slots(kTasks, 0);
    std::vector<std::atomic<int>> runs(kTasks);
    std::mutex mu;
    std::set<int> workers_seen;
    WorkerPool pool(kTasks, threads, [&](size_t k, int worker) {
      runs[k].fetch_add(1);
      {
        std::lock_guard<std::mutex> lock(mu);
        workers_seen.insert(worker);
      }
      // Uneven durations so that tasks end out of order.
      std::this_thread::sleep_for(std::chrono::microseconds((k * 7919) % 13 * 100));
      slots[k] = k * k + 1;
      return absl::OkStatus();
    });
    EXPECT_EQ(pool.workers(), std::min<int>(threads, kTasks));
    ASSERT_TRUE(pool.Join().ok());
    EXPECT_EQ(pool.SucceededPrefix(), kTasks);
    for (size_t k = 0; k < kTasks; ++k) {
      EXPECT_EQ(slots[k], k * k + 1) << "threads " << threads;
      EXPECT_EQ(runs[k].load(), 1) << "task " << k << ", threads " << threads;
    }
    for (int w : workers_seen) {
      EXPECT_GE(w, 0);
      EXPECT_LT(w, pool.workers());
    }
  }
}

TEST(WorkerPool, OneThreadRunsTasksInIndexOrderOnWorkerZero) {
  std::vector<size_t> order;
  WorkerPool pool(6, 1, [&](size_t k, int worker) {
    EXPECT_EQ(worker, 0);
    order.push_back(k);
    return absl::OkStatus();
  });
  ASSERT_TRUE(pool.Join().ok());
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
}

TEST(WorkerPool, MoreThreadsThanTasksAndNoTasks) {
  std::atomic<int> ran{0};
  WorkerPool three(3, 64, [&](size_t, int) {
    ++ran;
    return absl::OkStatus();
  });
  EXPECT_EQ(three.workers(), 3);
  ASSERT_TRUE(three.Join().ok());
  EXPECT_EQ(ran.load(), 3);

  WorkerPool none(0, 8, [&](size_t, int) {
    ++ran;
    return absl::OkStatus();
  });
  EXPECT_EQ(none.workers(), 0);
  EXPECT_EQ(none.WaitForPrefix(0), WorkerPool::Wait::kDone);
  EXPECT_TRUE(none.Join().ok());
  EXPECT_EQ(ran.load(), 3);
}

TEST(WorkerPool, TheLowestFailingIndexWinsWhateverTheScheduling) {
  // Task 9 fails at once; tasks 4 and 6 fail later. Task 4 always starts (it is below 9),
  // so its error is the one reported, for any thread count.
  for (int threads : {1, 2, 3, 8}) {
    std::atomic<int> ran{0};
    WorkerPool pool(40, threads, [&](size_t k, int) -> absl::Status {
      ++ran;
      if (k == 9) return absl::InternalError("task 9");
      if (k == 4 || k == 6) {
        std::this_thread::sleep_for(milliseconds(30));
        return absl::InternalError(k == 4 ? "task 4" : "task 6");
      }
      return absl::OkStatus();
    });
    const absl::Status s = pool.Join();
    EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
    EXPECT_EQ(s.message(), "task 4") << "threads " << threads;
    EXPECT_EQ(pool.SucceededPrefix(), 4u);
    // No task starts after a failure: with one thread, task 4 is the last one.
    if (threads == 1) {
      EXPECT_EQ(ran.load(), 5);
    }
    EXPECT_LT(ran.load(), 40);
  }
}

TEST(WorkerPool, ExceptionsBecomeErrors) {
  WorkerPool std_exception(3, 2, [](size_t k, int) -> absl::Status {
    if (k == 1) throw std::runtime_error("boom");
    return absl::OkStatus();
  });
  absl::Status s = std_exception.Join();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "boom");

  WorkerPool other(2, 1, [](size_t, int) -> absl::Status { throw 42; });
  s = other.Join();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "unknown exception");
  EXPECT_EQ(other.SucceededPrefix(), 0u);
}

TEST(WorkerPool, APrefixCanBeConsumedWhileLaterTasksRun) {
  Gate first, rest;
  std::vector<int> slots(4, 0);
  WorkerPool pool(4, 2, [&](size_t k, int) {
    (k == 0 ? first : rest).Wait();
    slots[k] = static_cast<int>(k) + 10;
    return absl::OkStatus();
  });
  EXPECT_EQ(pool.WaitForPrefix(1, WorkerPool::Clock::now() + milliseconds(20)), WorkerPool::Wait::kTimeout);
  first.Open();
  ASSERT_EQ(pool.WaitForPrefix(1), WorkerPool::Wait::kDone);
  EXPECT_EQ(slots[0], 10);  // visible to the owner once the prefix is done
  EXPECT_EQ(pool.SucceededPrefix(), 1u);  // task 1 still waits at the gate
  EXPECT_EQ(pool.WaitForPrefix(4, WorkerPool::Clock::now() + milliseconds(20)), WorkerPool::Wait::kTimeout);
  rest.Open();
  EXPECT_EQ(pool.WaitForPrefix(4), WorkerPool::Wait::kDone);
  EXPECT_TRUE(pool.Join().ok());
  EXPECT_EQ(slots, (std::vector<int>{10, 11, 12, 13}));
}

TEST(WorkerPool, AFailureHaltsWaitersBeforeTheFailedPrefix) {
  Gate gate;
  WorkerPool pool(5, 2, [&](size_t k, int) -> absl::Status {
    if (k == 1) return absl::InvalidArgumentError("bad task 1");
    if (k == 0) gate.Wait();
    return absl::OkStatus();
  });
  // The prefix 0..0 can still complete, 0..2 cannot.
  EXPECT_EQ(pool.WaitForPrefix(3), WorkerPool::Wait::kHalted);
  gate.Open();
  const absl::Status s = pool.Join();
  EXPECT_EQ(s, absl::InvalidArgumentError("bad task 1"));
  EXPECT_EQ(pool.WaitForPrefix(1), WorkerPool::Wait::kDone);
  EXPECT_EQ(pool.WaitForPrefix(3), WorkerPool::Wait::kHalted);
}

TEST(WorkerPool, StopStartsNoFurtherTaskAndLetsRunningOnesFinish) {
  Gate gate;
  std::atomic<int> started{0}, finished{0};
  WorkerPool pool(10, 1, [&](size_t, int) {
    ++started;
    gate.Wait();
    ++finished;
    return absl::OkStatus();
  });
  while (started.load() == 0) std::this_thread::sleep_for(milliseconds(1));
  pool.Stop();
  EXPECT_EQ(pool.WaitForPrefix(10), WorkerPool::Wait::kHalted);
  gate.Open();
  EXPECT_TRUE(pool.Join().ok());
  EXPECT_EQ(started.load(), 1);
  EXPECT_EQ(finished.load(), 1);
  EXPECT_TRUE(pool.Join().ok());  // joining again returns at once
}

TEST(WorkerPool, TheDestructorWaitsForRunningTasks) {
  std::atomic<bool> finished{false};
  std::atomic<int> started{0};
  {
    WorkerPool pool(50, 2, [&](size_t, int) {
      ++started;
      std::this_thread::sleep_for(milliseconds(20));
      finished = true;
      return absl::OkStatus();
    });
    while (started.load() == 0) std::this_thread::sleep_for(milliseconds(1));
  }  // Stop() + Join(): the started tasks end before the pool is gone
  EXPECT_TRUE(finished.load());
  EXPECT_LT(started.load(), 50);
}

}  // namespace
}  // namespace credsim
