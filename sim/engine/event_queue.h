// EventQueue: the discrete-event core. Events run in order of (time, insertion sequence), so
// two events at the same instant run in the order they were scheduled: the order is a pure
// function of the schedule calls and never depends on addresses or hash iteration.
//
// Events live in a slab of reusable slots and the heap holds 24-byte (time, seq, slot) keys,
// so scheduling does no heap allocation once the slab and heap have grown to the peak number
// of pending events. Cancel() is O(1): it frees the slot and bumps its generation; the stale
// heap key is skipped when it surfaces, and the heap is compacted when stale keys outnumber
// live ones.
#ifndef CREDSIM_SIM_ENGINE_EVENT_QUEUE_H_
#define CREDSIM_SIM_ENGINE_EVENT_QUEUE_H_

#include <cstdint>
#include <vector>

#include "sim/engine/inline_function.h"
#include "sim/engine/time.h"

namespace credsim {

// Identifies a scheduled event for cancellation. A default TimerId refers to nothing.
struct TimerId {
  uint32_t slot = UINT32_MAX;
  uint32_t generation = 0;
  bool valid() const { return slot != UINT32_MAX; }
};

class EventQueue {
 public:
  using Callback = InlineFunction<48>;

  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Schedules `cb` at `at`. `at` must not be earlier than now().
  TimerId Schedule(Time at, Callback cb);
  TimerId After(Duration d, Callback cb) { return Schedule(now_ + d, std::move(cb)); }
  // Cancels a pending event; returns false if it already ran or was cancelled.
  bool Cancel(TimerId id);
  bool IsPending(TimerId id) const;

  // Drops every pending event (their callbacks are destroyed, not run); TimerIds of them
  // stop being pending. now() is unchanged.
  void Clear() noexcept;

  // Runs the next event; returns false if none is pending.
  bool Step();
  // Runs events with time <= until, then sets now() to `until` (if it is later).
  void RunUntil(Time until);
  // Runs until no event is pending.
  void RunAll();
  // Makes the running (or the next) RunUntil/RunAll return after the current event, without
  // advancing now() to `until`. One-shot: the flag clears when a run loop honours it.
  void RequestStop() noexcept { stop_requested_ = true; }
  bool stop_requested() const { return stop_requested_; }

  Time now() const { return now_; }
  size_t pending() const { return live_; }
  uint64_t executed() const { return executed_; }

 private:
  struct Key {
    int64_t at;
    uint64_t seq;
    uint32_t slot;
    uint32_t generation;
  };
  struct Slot {
    Callback cb;
    uint32_t generation = 0;
    uint32_t next_free = UINT32_MAX;
    bool live = false;
  };
  static bool Later(const Key& a, const Key& b) {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }
  void PopStale();
  void Compact();

  std::vector<Key> heap_;
  std::vector<Slot> slots_;
  uint32_t free_head_ = UINT32_MAX;
  size_t live_ = 0;
  uint64_t seq_ = 0;
  uint64_t executed_ = 0;
  bool stop_requested_ = false;
  Time now_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_EVENT_QUEUE_H_
