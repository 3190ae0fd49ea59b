// SimExecutor: the Executor over the simulation's EventQueue. Resuming a coroutine is one
// event whose callback holds only the coroutine handle (no allocation).
#ifndef CREDSIM_SIM_EXECUTOR_H_
#define CREDSIM_SIM_EXECUTOR_H_

#include "sim/event_queue.h"
#include "sim/task.h"

namespace credsim {

class SimExecutor final : public Executor {
 public:
  explicit SimExecutor(EventQueue& q) : q_(q) {}
  Time Now() const override { return q_.now(); }
  void ResumeAfter(Duration d, std::coroutine_handle<> h) override {
    q_.After(d, [h] { h.resume(); });
  }
  EventQueue& queue() { return q_; }

 private:
  EventQueue& q_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_EXECUTOR_H_
