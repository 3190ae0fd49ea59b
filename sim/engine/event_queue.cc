#include "sim/engine/event_queue.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace credsim {

TimerId EventQueue::Schedule(Time at, Callback cb) {
  if (at < now_) throw std::logic_error("EventQueue::Schedule: time in the past");
  uint32_t slot;
  if (free_head_ != UINT32_MAX) {
    slot = free_head_;
    free_head_ = slots_[slot].next_free;
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.cb = std::move(cb);
  s.live = true;
  heap_.push_back(Key{at.nanos(), seq_++, slot, s.generation});
  std::push_heap(heap_.begin(), heap_.end(), Later);
  ++live_;
  return TimerId{slot, s.generation};
}

bool EventQueue::IsPending(TimerId id) const {
  return id.valid() && id.slot < slots_.size() && slots_[id.slot].live &&
         slots_[id.slot].generation == id.generation;
}

bool EventQueue::Cancel(TimerId id) {
  if (!IsPending(id)) return false;
  Slot& s = slots_[id.slot];
  s.cb.Reset();
  s.live = false;
  ++s.generation;
  s.next_free = free_head_;
  free_head_ = id.slot;
  --live_;
  if (heap_.size() > 64 && heap_.size() > 2 * live_) Compact();
  return true;
}

void EventQueue::Compact() {
  std::erase_if(heap_, [this](const Key& k) {
    const Slot& s = slots_[k.slot];
    return !s.live || s.generation != k.generation;
  });
  std::make_heap(heap_.begin(), heap_.end(), Later);
}

void EventQueue::PopStale() {
  while (!heap_.empty()) {
    const Key& k = heap_.front();
    const Slot& s = slots_[k.slot];
    if (s.live && s.generation == k.generation) return;
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    heap_.pop_back();
  }
}

bool EventQueue::Step() {
  PopStale();
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  const Key k = heap_.back();
  heap_.pop_back();
  Slot& s = slots_[k.slot];
  Callback cb = std::move(s.cb);
  s.live = false;
  ++s.generation;
  s.next_free = free_head_;
  free_head_ = k.slot;
  --live_;
  now_ = Time::FromNanos(k.at);
  ++executed_;
  cb();
  return true;
}

void EventQueue::Clear() noexcept {
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.live) continue;
    s.cb.Reset();
    s.live = false;
    ++s.generation;
    s.next_free = free_head_;
    free_head_ = i;
  }
  heap_.clear();
  live_ = 0;
}

void EventQueue::RunUntil(Time until) {
  for (;;) {
    if (stop_requested_) {
      stop_requested_ = false;
      return;
    }
    PopStale();
    if (heap_.empty() || heap_.front().at > until.nanos()) break;
    Step();
  }
  if (until > now_) now_ = until;
}

void EventQueue::RunAll() {
  while (!stop_requested_ && Step()) {
  }
  stop_requested_ = false;
}

}  // namespace credsim
