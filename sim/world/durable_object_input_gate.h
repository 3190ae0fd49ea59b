// DurableObjectInputGate: the single thread of one Durable Object, modelled as a FIFO mutex
// over the coroutine runtime (sources.md §P5 Input / output gates).
#ifndef CREDSIM_SIM_WORLD_DURABLE_OBJECT_INPUT_GATE_H_
#define CREDSIM_SIM_WORLD_DURABLE_OBJECT_INPUT_GATE_H_

#include <coroutine>
#include <cstddef>

#include "sim/engine/task.h"
#include "sim/engine/time.h"

namespace credsim {

// Contract:
//  - `co_await gate.Lock()` returns at once if the gate is open and nobody waits; otherwise
//    the coroutine queues and resumes (through the executor, at the instant of the Unlock)
//    holding the gate. Waiters are served strictly in arrival order: Unlock() hands the gate
//    directly to the oldest waiter, so a newcomer can never overtake the queue.
//  - Waiting does not observe cancellation (the platform only locks from its own roots).
//  - Waiters are intrusive nodes in the waiters' frames: no allocation. A waiter's frame may
//    be destroyed at teardown (Executor::DestroyRoots) while queued; the gate is then dead
//    too and is never unlocked again.
//  - Unlock() must be called exactly once per completed Lock().
class DurableObjectInputGate {
 public:
  explicit DurableObjectInputGate(Executor& executor) : executor_(executor) {}
  DurableObjectInputGate(const DurableObjectInputGate&) = delete;
  DurableObjectInputGate& operator=(const DurableObjectInputGate&) = delete;

  struct Waiter {
    DurableObjectInputGate* gate;
    std::coroutine_handle<> handle;
    Waiter* next = nullptr;

    bool await_ready() noexcept {
      if (gate->held_) return false;
      gate->held_ = true;  // open implies an empty queue (Unlock hands over directly)
      return true;
    }
    template <typename P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
      internal::BindRoot(h, gate->executor_);  // a root waiting here is owned by the executor
      handle = h;
      if (gate->tail_) gate->tail_->next = this; else gate->head_ = this;
      gate->tail_ = this;
      ++gate->waiting_;
    }
    void await_resume() const noexcept {}
  };
  Waiter Lock() { return Waiter{this, {}, nullptr}; }

  void Unlock() {
    Waiter* w = head_;
    if (w == nullptr) {
      held_ = false;
      return;
    }
    head_ = w->next;
    if (head_ == nullptr) tail_ = nullptr;
    --waiting_;
    executor_.ResumeAfter(Duration(), w->handle);  // the gate stays held, now by `w`
  }

  bool held() const { return held_; }
  size_t waiting() const { return waiting_; }

 private:
  Executor& executor_;
  bool held_ = false;
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  size_t waiting_ = 0;
};

// Holds `gate` for `d` (waiting for it first): one CPU or storage segment of the object.
// `gate` and `executor` are references to long-lived objects (the object's gate, the world's
// executor), which outlive the coroutine; `d` is a value.
inline Task<void> HoldInputGate(DurableObjectInputGate& gate, Executor& executor, Duration d) {
  co_await gate.Lock();
  try {
    co_await Sleep(executor, d);
  } catch (...) {
    gate.Unlock();
    throw;
  }
  gate.Unlock();
}

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_DURABLE_OBJECT_INPUT_GATE_H_
