// WorkerPool: runs the tasks 0..n-1 of a fixed list on a fixed set of worker threads, so that
// the output of a caller that stores task k's result in its own slot k does not depend on the
// number of threads or on the scheduling.
//
// Contract:
//  * Tasks start in index order: task k starts only once tasks 0..k-1 have all started. Which
//    worker runs a task, and when it ends, is unspecified. A task is called with its index and
//    the number of its worker (0..workers()-1), so callers can keep per-worker state.
//  * A task fails by returning a non-OK status or by throwing (std::exception: an internal
//    error with its what(); anything else: "unknown exception"). After a failure no further
//    task starts; the tasks already running finish. Since tasks start in index order, every
//    task below a failed one has started and runs to its end, so Join() reports the failure of
//    the lowest failing index of the whole list: the same error for any thread count.
//  * WaitForPrefix(n) tells the caller when tasks 0..n-1 have all succeeded; what they wrote
//    is then visible to the caller (the pool's mutex orders it), so results can be consumed
//    in order while later tasks still run.
//  * Stop() starts no further task (running ones finish). Join() waits for every running task
//    and joins every thread; the destructor does Stop() and Join(): no thread outlives the
//    pool and none is detached. Stop(), Join() and WaitForPrefix() are for the owning thread.
//  * If the system refuses a thread, the pool runs on those it got; if it gets none, the pool
//    has failed with that error before any task.
#ifndef CREDSIM_CLI_WORKER_POOL_H_
#define CREDSIM_CLI_WORKER_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace credsim {

class WorkerPool {
 public:
  using Task = std::function<absl::Status(size_t task, int worker)>;
  using Clock = std::chrono::steady_clock;
  enum class Wait {
    kDone,     // tasks 0..n-1 have all succeeded
    kTimeout,  // the deadline passed first
    kHalted,   // a task failed or Stop() was called: the prefix may never complete
  };

  // Starts min(threads, tasks) workers (at least 1 when tasks > 0) on tasks 0..tasks-1.
  WorkerPool(size_t tasks, int threads, Task task);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int workers() const { return static_cast<int>(threads_.size()); }

  // Blocks until tasks 0..n-1 (n <= tasks) have all succeeded, the pool has halted, or
  // `deadline` has passed, whichever is first (kDone has priority).
  Wait WaitForPrefix(size_t n, Clock::time_point deadline = Clock::time_point::max());
  // The number of leading tasks that have succeeded.
  size_t SucceededPrefix();

  void Stop();
  // Waits for the running tasks and joins the workers (again: returns at once). OK if no task
  // failed (also after Stop()), else the error of the lowest failing index.
  absl::Status Join();

 private:
  void Work(int worker);
  bool HaltedLocked() const { return stopped_ || failed_index_ != kNone || exited_ == threads_.size(); }

  static constexpr size_t kNone = static_cast<size_t>(-1);
  const size_t tasks_;
  const Task task_;
  std::mutex mu_;
  std::condition_variable changed_;
  size_t next_ = 0;                  // the next task to start
  std::vector<bool> succeeded_;      // [task]
  size_t prefix_ = 0;                // tasks 0..prefix_-1 have succeeded
  bool stopped_ = false;
  size_t failed_index_ = kNone;      // the lowest failed task
  absl::Status failure_;             // its error
  size_t exited_ = 0;                // workers that have returned
  std::vector<std::thread> threads_;
};

}  // namespace credsim

#endif  // CREDSIM_CLI_WORKER_POOL_H_
