#include "cli/worker_pool.h"

#include <algorithm>
#include <exception>
#include <system_error>
#include <utility>

#include "fmt/format.h"

namespace credsim {

WorkerPool::WorkerPool(size_t tasks, int threads, Task task)
    : tasks_(tasks), task_(std::move(task)), succeeded_(tasks, false) {
  if (tasks_ == 0) return;
  const size_t n = std::min(static_cast<size_t>(std::max(threads, 1)), tasks_);
  threads_.reserve(n);
  for (size_t w = 0; w < n; ++w) {
    try {
      threads_.emplace_back([this, w] { Work(static_cast<int>(w)); });
    } catch (const std::system_error& e) {
      if (!threads_.empty()) break;  // run on the workers there are
      std::lock_guard<std::mutex> lock(mu_);
      failed_index_ = 0;
      failure_ = absl::ResourceExhaustedError(fmt::format("cannot start a worker thread: {}", e.what()));
      break;
    }
  }
}

WorkerPool::~WorkerPool() {
  Stop();
  Join().IgnoreError();
}

void WorkerPool::Work(int worker) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_ && failed_index_ == kNone && next_ < tasks_) {
    const size_t k = next_++;
    lock.unlock();
    absl::Status status;
    try {
      status = task_(k, worker);
    } catch (const std::exception& e) {
      status = absl::InternalError(e.what());
    } catch (...) {
      status = absl::InternalError("unknown exception");
    }
    lock.lock();
    if (status.ok()) {
      succeeded_[k] = true;
      while (prefix_ < tasks_ && succeeded_[prefix_]) ++prefix_;
    } else if (failed_index_ == kNone || k < failed_index_) {
      failed_index_ = k;
      failure_ = std::move(status);
    }
    changed_.notify_all();
  }
  ++exited_;
  changed_.notify_all();
}

WorkerPool::Wait WorkerPool::WaitForPrefix(size_t n, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  const size_t want = std::min(n, tasks_);
  const auto ready = [&] { return prefix_ >= want || HaltedLocked(); };
  if (deadline == Clock::time_point::max()) {
    changed_.wait(lock, ready);
  } else {
    changed_.wait_until(lock, deadline, ready);
  }
  if (prefix_ >= want) return Wait::kDone;
  return HaltedLocked() ? Wait::kHalted : Wait::kTimeout;
}

size_t WorkerPool::SucceededPrefix() {
  std::lock_guard<std::mutex> lock(mu_);
  return prefix_;
}

void WorkerPool::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  changed_.notify_all();
}

absl::Status WorkerPool::Join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

}  // namespace credsim
