// SimExecutor: the Executor over the simulation's EventQueue. Resuming a coroutine is one
// event whose callback holds only the coroutine handle (no allocation).
//
// A root failure (see sim/task.h) is recorded and stops the queue's RunUntil/RunAll after
// the current event. Shutdown() ends the simulation for good: it drops every pending event
// of the queue (some resume frames about to be destroyed) and destroys the bound roots; a
// resumption requested afterwards (e.g. from a destructor) is ignored. The destructor calls
// it when roots are still bound; owners should call it earlier, while what the frames point
// to is still alive.
#ifndef CREDSIM_SIM_ENGINE_EXECUTOR_H_
#define CREDSIM_SIM_ENGINE_EXECUTOR_H_

#include "sim/engine/event_queue.h"
#include "sim/engine/task.h"

namespace credsim {

class SimExecutor final : public Executor {
 public:
  explicit SimExecutor(EventQueue& q) : q_(q) {}
  ~SimExecutor() override {
    if (live_roots() > 0) Shutdown();
  }
  Time Now() const override { return q_.now(); }
  void ResumeAfter(Duration d, std::coroutine_handle<> h) override {
    if (shut_down_) return;
    q_.After(d, [h] { h.resume(); });
  }
  void OnRootFailure(std::exception_ptr e) noexcept override {
    Executor::OnRootFailure(std::move(e));
    q_.RequestStop();
  }
  void Shutdown() noexcept {
    shut_down_ = true;
    q_.Clear();
    DestroyRoots();
    q_.Clear();  // in case a destructor scheduled something directly
  }
  EventQueue& queue() { return q_; }

 private:
  EventQueue& q_;
  bool shut_down_ = false;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_EXECUTOR_H_
