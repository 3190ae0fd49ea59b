// EventQueue: the discrete-event core. Events run in order of (time, insertion sequence), so
// two events at the same instant run in the order they were scheduled: the order is a pure
// function of the schedule calls and never depends on addresses or hash iteration.
//
// Every Schedule/ScheduleSide call and every ReserveSeq() takes the next value of one
// insertion-sequence counter. ScheduleReserved() schedules with a sequence number taken
// earlier by ReserveSeq(), so the event runs exactly where it would have run had it been
// scheduled at the moment of the reservation.
//
// Callbacks live in a slab of reusable 64-byte slots (one cache line each); a radix heap
// (a monotone priority queue: keys never precede the last one popped) holds 24-byte (time,
// seq, slot, generation) entries in 129 buckets by the highest bit in which a key differs from
// the last popped key, so ordering work touches compact arrays and a slot is touched only to
// store and to run its callback. Scheduling does no heap
// allocation once the slab and heap have grown to the peak number of pending events; memory
// is O(peak pending). Cancel() is O(1): it frees the slot and bumps its generation; the stale
// heap entry is skipped when it surfaces, and the heap is compacted when stale entries
// outnumber live ones.
//
// The side slot holds at most one extra event outside the heap, for a source that always has
// exactly one pending event (the traffic generator's base process). It takes a sequence
// number like Schedule and is merged with the heap by (time, seq), so the order of all events
// is the same as if it had been scheduled with Schedule.
#ifndef CREDSIM_SIM_ENGINE_EVENT_QUEUE_H_
#define CREDSIM_SIM_ENGINE_EVENT_QUEUE_H_

#include <array>
#include <cstdint>
#include <memory>
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

  // Schedules `cb` at `at`. `at` must not be earlier than now() (std::logic_error).
  TimerId Schedule(Time at, Callback cb);
  TimerId After(Duration d, Callback cb) { return Schedule(now_ + d, std::move(cb)); }

  // Takes the next insertion sequence number without scheduling anything; the counter
  // advances exactly as a Schedule call would.
  uint64_t ReserveSeq() { return seq_++; }
  // Schedules `cb` at `at` with a sequence number `seq` taken earlier from ReserveSeq(); it
  // runs in (at, seq) order exactly as if it had been scheduled when `seq` was reserved, and
  // Cancel/IsPending work on the returned TimerId as usual. `at` must not be earlier than
  // now() (std::logic_error). Caller's contract (asserted in debug builds where cheap): `seq`
  // came from ReserveSeq() of this queue, each reserved number is used at most once, and
  // (at, seq) is later than the event that is running or last ran (always true if at > now()).
  TimerId ScheduleReserved(Time at, uint64_t seq, Callback cb);

  // Schedules `cb` at `at` in the side slot. At most one side event may be pending: a second
  // one while one is pending is a std::logic_error, as is `at` earlier than now(). It takes a
  // sequence number like Schedule and runs in the same (time, seq) order; it counts in
  // pending(), Clear() drops it, and it cannot be cancelled. Its callback may schedule the
  // next side event (the slot is free while the callback runs).
  void ScheduleSide(Time at, Callback cb);
  bool side_pending() const { return side_pending_; }

  // Cancels a pending event; returns false if it already ran or was cancelled.
  bool Cancel(TimerId id);
  bool IsPending(TimerId id) const;

  // Drops every pending event, the side event included (their callbacks are destroyed, not
  // run); TimerIds of them stop being pending. now() and the sequence counter are unchanged.
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
  size_t pending() const { return live_ + (side_pending_ ? 1 : 0); }
  uint64_t executed() const { return executed_; }

 private:
  // A pending entry: the order key (time in nanoseconds, insertion sequence) and the slot
  // holding its callback. `at` is never negative (now() starts at zero, `at` >= now()).
  struct Entry {
    int64_t at;
    uint64_t seq;
    uint32_t slot;
    uint32_t generation;
  };
  // A slot of the callback slab: one 64-byte cache line. `generation` is odd while the slot
  // holds a pending event and even while it is free; it changes on every allocation and
  // release, so a stale Entry or TimerId never matches a reused slot. The counters sit in the
  // callback's tail padding ([[no_unique_address]]).
  struct alignas(64) Slot {
    [[no_unique_address]] Callback cb;
    uint32_t generation = 0;
    uint32_t next_free = UINT32_MAX;
  };
  // A growable array of entries whose append is inlined; it keeps its capacity when cleared.
  class Bucket {
   public:
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Entry* data() { return data_.get(); }
    const Entry* data() const { return data_.get(); }
    Entry& operator[](size_t i) { return data_[i]; }
    const Entry& operator[](size_t i) const { return data_[i]; }
    void push_back(const Entry& e) {
      if (size_ == capacity_) Grow();
      data_[size_++] = e;
    }
    // Replaces entry i by the last one.
    void SwapRemove(size_t i) { data_[i] = data_[--size_]; }
    void clear() { size_ = 0; }
    // Keeps the entries for which keep(e) is true, in order.
    template <typename Keep>
    void Filter(Keep keep) {
      size_t n = 0;
      for (size_t i = 0; i < size_; ++i) {
        if (keep(data_[i])) data_[n++] = data_[i];
      }
      size_ = n;
    }

   private:
    void Grow();
    std::unique_ptr<Entry[]> data_;
    size_t size_ = 0;
    size_t capacity_ = 0;
  };
  // Radix heap buckets: bucket 0 holds keys equal to the reference key, bucket 1 + b keys
  // whose seq differs from it first in bit b (same time), bucket 65 + b keys whose time
  // differs from it first in bit b.
  static constexpr int kBuckets = 129;

  static bool Before(const Entry& a, const Entry& b) {
    return a.at < b.at || (a.at == b.at && a.seq < b.seq);
  }
  int BucketOf(int64_t at, uint64_t seq) const;
  bool KeyNotBeforeRef(int64_t at, uint64_t seq) const;
  void Push(const Entry& e);
  // The earliest entry (live or stale); requires entries_ > 0.
  const Entry& Top() const { return buckets_[min_bucket_][min_index_]; }
  bool TopIsStale() const { return slots_[Top().slot].generation != Top().generation; }
  // Removes and returns the earliest entry, making its key the reference key.
  Entry PopTop();
  Entry PopTopNoPrefetch();
  // Removes the earliest entry without moving the reference key (for a stale top that may not
  // become the reference).
  void RemoveTop();
  // Recomputes min_bucket_/min_index_ (a scan of the lowest non-empty bucket).
  void FindMin();
  // Starts loading the slots of the next kPrefetchAhead or so entries to run (whole buckets
  // from the lowest up, none larger than kPrefetchBucketMax), skipping buckets up to
  // prefetched_upto_, whose slots were already requested.
  // Only when the slab outgrows the caches (64-byte slots: 16384 = 1 MiB).
  static constexpr size_t kPrefetchMinSlots = 16384;
  static constexpr size_t kPrefetchAhead = 4;
  static constexpr size_t kPrefetchBucketMax = 16;
  void PrefetchAhead();
  void DropAllEntries();
  TimerId Insert(Time at, uint64_t seq, Callback&& cb);
  void FreeSlot(uint32_t slot);
  void Compact();
  // Pops stale entries off the top while that is safe; see event_queue.cc.
  void PopStaleBefore(int64_t limit_at, bool limit_inclusive);
  // True if the side event runs before every heap entry, live or stale.
  bool SideBeforeTop() const;
  void RunSide();
  void RunTop();

  std::array<Bucket, kBuckets> buckets_;
  uint64_t nonempty_[3] = {0, 0, 0};  // bit b of word b / 64: bucket b is not empty
  size_t entries_ = 0;                // entries in the buckets, live and stale
  int min_bucket_ = 0;                // where the earliest entry is (valid if entries_ > 0)
  size_t min_index_ = 0;
  int prefetched_upto_ = -1;  // every entry in buckets <= this one had its slot prefetched
  int64_t ref_at_ = 0;  // the reference key: the last entry popped (or (0, 0))
  uint64_t ref_seq_ = 0;

  std::vector<Slot> slots_;
  uint32_t free_head_ = UINT32_MAX;
  size_t live_ = 0;
  uint64_t seq_ = 0;
  uint64_t executed_ = 0;
  // (time, seq) of the event that ran last, for the check of ScheduleReserved.
  int64_t last_at_ = INT64_MIN;
  uint64_t last_seq_ = 0;
  bool stop_requested_ = false;
  bool side_pending_ = false;
  int64_t side_at_ = 0;
  uint64_t side_seq_ = 0;
  Callback side_cb_;
  Time now_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_EVENT_QUEUE_H_
