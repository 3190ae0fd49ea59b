#include "sim/engine/event_queue.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <stdexcept>
#include <utility>

namespace credsim {

// The pending entries form a radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990) over the
// 128-bit key (time, seq). It relies on monotonicity: every key pushed is larger than the
// reference key, the last key popped. Entries are bucketed by the highest bit in which they
// differ from the reference; every key in a lower bucket is smaller than every key in a
// higher one, so the earliest entry is in the lowest non-empty bucket. Popping it makes it
// the reference and moves the rest of its bucket into lower buckets (each entry moves at
// most 128 times in its life, in practice a few times, always by sequential copies).
//
// Monotonicity holds because a pushed key is later than the event that ran last (Schedule:
// `at` >= now() with a new seq; ScheduleReserved: checked) and the reference never passes
// what will run or what now() becomes: a stale (cancelled) entry is popped only when a later
// event is known to run next (Step) or when its time is before `until` (RunUntil); otherwise
// it is removed without moving the reference.

void EventQueue::Bucket::Grow() {
  const size_t capacity = std::max<size_t>(16, 2 * capacity_);
  auto data = std::make_unique_for_overwrite<Entry[]>(capacity);
  std::copy(data_.get(), data_.get() + size_, data.get());
  data_ = std::move(data);
  capacity_ = capacity;
}

int EventQueue::BucketOf(int64_t at, uint64_t seq) const {
  const uint64_t dt = static_cast<uint64_t>(at ^ ref_at_);
  if (dt != 0) return 128 - std::countl_zero(dt);
  const uint64_t ds = seq ^ ref_seq_;
  return ds != 0 ? 64 - std::countl_zero(ds) : 0;
}

bool EventQueue::KeyNotBeforeRef(int64_t at, uint64_t seq) const {
  return at > ref_at_ || (at == ref_at_ && seq >= ref_seq_);
}

void EventQueue::Push(const Entry& e) {
  const int b = BucketOf(e.at, e.seq);
  Bucket& v = buckets_[b];
  v.push_back(e);
  nonempty_[b >> 6] |= uint64_t{1} << (b & 63);
  if (entries_ == 0 || b < min_bucket_) {
    min_bucket_ = b;  // the bucket was empty
    min_index_ = v.size() - 1;
  } else if (b == min_bucket_ && Before(e, v[min_index_])) {
    min_index_ = v.size() - 1;
  }
  ++entries_;
}

void EventQueue::PrefetchAhead() {
  // Entries of a lower bucket all run before any entry of a higher one, so the lowest
  // buckets hold the next events to run. Their slots are the one cache miss per event that
  // ordering cannot avoid; requesting them a few events ahead hides it.
  if (entries_ == 0) return;
  size_t ahead = 0;
  for (int w = min_bucket_ >> 6; w < 3; ++w) {
    uint64_t bits = nonempty_[w];
    if (w == (min_bucket_ >> 6)) bits &= ~uint64_t{0} << (min_bucket_ & 63);
    while (bits != 0) {
      const int b = w * 64 + std::countr_zero(bits);
      bits &= bits - 1;
      const Bucket& v = buckets_[b];
      if (b > prefetched_upto_) {
        if (ahead >= kPrefetchAhead || v.size() > kPrefetchBucketMax) return;
        for (size_t k = 0; k < v.size(); ++k) __builtin_prefetch(&slots_[v[k].slot]);
        prefetched_upto_ = b;
      }
      ahead += v.size();
    }
  }
}

void EventQueue::FindMin() {
  int b;
  if (nonempty_[0] != 0) {
    b = std::countr_zero(nonempty_[0]);
  } else if (nonempty_[1] != 0) {
    b = 64 + std::countr_zero(nonempty_[1]);
  } else if (nonempty_[2] != 0) {
    b = 128 + std::countr_zero(nonempty_[2]);
  } else {
    return;
  }
  const Bucket& v = buckets_[b];
  size_t m = 0;
  for (size_t k = 1; k < v.size(); ++k) {
    if (Before(v[k], v[m])) m = k;
  }
  min_bucket_ = b;
  min_index_ = m;
}

EventQueue::Entry EventQueue::PopTop() {
  const Entry top = PopTopNoPrefetch();
  if (slots_.size() > kPrefetchMinSlots) PrefetchAhead();
  return top;
}

EventQueue::Entry EventQueue::PopTopNoPrefetch() {
  const int b = min_bucket_;
  Bucket& v = buckets_[b];
  const Entry top = v[min_index_];
  v.SwapRemove(min_index_);
  --entries_;
  if (b == 0) {
    // Keys equal to the reference (only ever the very first key, (0, 0)).
    if (v.empty()) nonempty_[0] &= ~uint64_t{1};
    FindMin();
    return top;
  }
  ref_at_ = top.at;
  ref_seq_ = top.seq;
  nonempty_[b >> 6] &= ~(uint64_t{1} << (b & 63));
  if (v.empty()) {
    FindMin();  // bucket b held only the top: the minimum is in a higher bucket
    return top;
  }
  // The entries of bucket b move to lower buckets: they keep their prefetched state only if
  // bucket b had it.
  if (b > prefetched_upto_) prefetched_upto_ = -1;
  // Every other entry of bucket b shares the reference's bits down to bit b, so it moves to
  // a lower bucket, all of which are empty; track the new minimum on the way.
  uint64_t mask[3] = {0, 0, 0};
  int best_b = kBuckets;
  size_t best_i = 0;
  const Entry* src = v.data();
  const size_t n = v.size();
  for (size_t k = 0; k < n; ++k) {
    const Entry& e = src[k];
    const int nb = BucketOf(e.at, e.seq);
    Bucket& dst = buckets_[nb];
    dst.push_back(e);
    mask[nb >> 6] |= uint64_t{1} << (nb & 63);
    if (nb < best_b) {
      best_b = nb;
      best_i = dst.size() - 1;
    } else if (nb == best_b && Before(e, dst[best_i])) {
      best_i = dst.size() - 1;
    }
  }
  v.clear();
  nonempty_[0] |= mask[0];
  nonempty_[1] |= mask[1];
  nonempty_[2] |= mask[2];
  min_bucket_ = best_b;
  min_index_ = best_i;
  return top;
}

void EventQueue::RemoveTop() {
  Bucket& v = buckets_[min_bucket_];
  v.SwapRemove(min_index_);
  if (v.empty()) nonempty_[min_bucket_ >> 6] &= ~(uint64_t{1} << (min_bucket_ & 63));
  --entries_;
  FindMin();
}

void EventQueue::DropAllEntries() {
  prefetched_upto_ = -1;
  for (Bucket& v : buckets_) v.clear();
  nonempty_[0] = nonempty_[1] = nonempty_[2] = 0;
  entries_ = 0;
}

TimerId EventQueue::Insert(Time at, uint64_t seq, Callback&& cb) {
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
  ++s.generation;  // odd: pending
  Push(Entry{at.nanos(), seq, slot, s.generation});
  ++live_;
  return TimerId{slot, s.generation};
}

void EventQueue::FreeSlot(uint32_t slot) {
  Slot& s = slots_[slot];
  ++s.generation;  // even: free
  s.next_free = free_head_;
  free_head_ = slot;
  --live_;
}

TimerId EventQueue::Schedule(Time at, Callback cb) {
  if (at < now_) throw std::logic_error("EventQueue::Schedule: time in the past");
  return Insert(at, seq_++, std::move(cb));
}

TimerId EventQueue::ScheduleReserved(Time at, uint64_t seq, Callback cb) {
  if (at < now_) throw std::logic_error("EventQueue::ScheduleReserved: time in the past");
  assert(seq < seq_ && "ScheduleReserved: seq was not reserved");
  // The reference key is at most the key of the event that ran last (or than now()), so this
  // rejects exactly the keys that would have had to run before an event that already ran.
  if (!KeyNotBeforeRef(at.nanos(), seq) ||
      !(at.nanos() > last_at_ || (at.nanos() == last_at_ && seq > last_seq_))) {
    throw std::logic_error("EventQueue::ScheduleReserved: (at, seq) is not after the last event");
  }
  return Insert(at, seq, std::move(cb));
}

void EventQueue::ScheduleSide(Time at, Callback cb) {
  if (at < now_) throw std::logic_error("EventQueue::ScheduleSide: time in the past");
  if (side_pending_) throw std::logic_error("EventQueue::ScheduleSide: a side event is pending");
  side_at_ = at.nanos();
  side_seq_ = seq_++;
  side_cb_ = std::move(cb);
  side_pending_ = true;
}

bool EventQueue::IsPending(TimerId id) const {
  return id.valid() && (id.generation & 1) != 0 && id.slot < slots_.size() &&
         slots_[id.slot].generation == id.generation;
}

bool EventQueue::Cancel(TimerId id) {
  if (!IsPending(id)) return false;
  slots_[id.slot].cb.Reset();
  FreeSlot(id.slot);
  if (entries_ > 64 && entries_ > 2 * live_) Compact();
  return true;
}

void EventQueue::Compact() {
  nonempty_[0] = nonempty_[1] = nonempty_[2] = 0;
  for (int b = 0; b < kBuckets; ++b) {
    Bucket& v = buckets_[b];
    v.Filter([this](const Entry& e) { return slots_[e.slot].generation == e.generation; });
    if (!v.empty()) nonempty_[b >> 6] |= uint64_t{1} << (b & 63);
  }
  entries_ = live_;
  FindMin();
}

bool EventQueue::SideBeforeTop() const {
  if (!side_pending_) return false;
  if (entries_ == 0) return true;
  const Entry& e = Top();
  return side_at_ != e.at ? side_at_ < e.at : side_seq_ < e.seq;
}

void EventQueue::RunSide() {
  Callback cb = std::move(side_cb_);
  side_pending_ = false;
  now_ = Time::FromNanos(side_at_);
  last_at_ = side_at_;
  last_seq_ = side_seq_;
  ++executed_;
  cb();
}

void EventQueue::RunTop() {
  const Entry top = PopTop();
  Slot& s = slots_[top.slot];
  Callback cb = std::move(s.cb);
  FreeSlot(top.slot);
  now_ = Time::FromNanos(top.at);
  last_at_ = top.at;
  last_seq_ = top.seq;
  ++executed_;
  cb();
}

bool EventQueue::Step() {
  if (live_ == 0 && entries_ > 0) DropAllEntries();  // only stale entries are left
  // A live entry or the side event with a larger key runs next, so popping stale entries
  // before it keeps the reference at or below the key that runs.
  while (entries_ > 0 && TopIsStale() && !SideBeforeTop()) PopTop();
  if (SideBeforeTop()) {
    RunSide();
    return true;
  }
  if (entries_ == 0) return false;
  RunTop();
  return true;
}

void EventQueue::Clear() noexcept {
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if ((s.generation & 1) == 0) continue;
    s.cb.Reset();
    FreeSlot(i);
  }
  DropAllEntries();
  live_ = 0;
  side_cb_.Reset();
  side_pending_ = false;
}

void EventQueue::RunUntil(Time until) {
  const int64_t limit = until.nanos();
  for (;;) {
    if (stop_requested_) {
      stop_requested_ = false;
      return;
    }
    if (live_ == 0 && entries_ > 0) DropAllEntries();
    while (entries_ > 0 && TopIsStale() && !SideBeforeTop()) {
      // Before `until`: now() ends at `until` or later, so the stale key may become the
      // reference. At `until`: a reserved seq may still be scheduled at `until` below it.
      if (Top().at < limit) {
        PopTop();
      } else if (Top().at == limit) {
        RemoveTop();
      } else {
        break;
      }
    }
    if (SideBeforeTop()) {
      if (side_at_ > limit) break;
      RunSide();
      continue;
    }
    if (entries_ == 0 || Top().at > limit) break;
    RunTop();
  }
  if (until > now_) now_ = until;
}

void EventQueue::RunAll() {
  while (!stop_requested_ && Step()) {
  }
  stop_requested_ = false;
}

}  // namespace credsim
