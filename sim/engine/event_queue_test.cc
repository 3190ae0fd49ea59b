#include "sim/engine/event_queue.h"

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/random.h"

namespace credsim {
namespace {

TEST(EventQueueTest, RunsInTimeOrderThenInsertionOrder) {
  EventQueue q;
  std::vector<int> order;
  q.Schedule(Time::FromNanos(30), [&] { order.push_back(3); });
  q.Schedule(Time::FromNanos(10), [&] { order.push_back(1); });
  q.Schedule(Time::FromNanos(20), [&] { order.push_back(20); });
  q.Schedule(Time::FromNanos(20), [&] { order.push_back(21); });
  q.Schedule(Time::FromNanos(20), [&] { order.push_back(22); });
  q.RunAll();
  EXPECT_EQ(order, (std::vector<int>{1, 20, 21, 22, 3}));
  EXPECT_EQ(q.now(), Time::FromNanos(30));
  EXPECT_EQ(q.executed(), 5u);
}

TEST(EventQueueTest, EventsScheduledDuringRunAtSameTimeRunAfterExisting) {
  EventQueue q;
  std::vector<int> order;
  q.Schedule(Time::FromNanos(5), [&] {
    order.push_back(1);
    q.After(Duration(), [&] { order.push_back(3); });
  });
  q.Schedule(Time::FromNanos(5), [&] { order.push_back(2); });
  q.RunAll();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventQueueTest, CancelPreventsRunAndIsIdempotent) {
  EventQueue q;
  int ran = 0;
  TimerId a = q.After(Duration::Seconds(1), [&] { ran += 1; });
  TimerId b = q.After(Duration::Seconds(2), [&] { ran += 10; });
  EXPECT_TRUE(q.IsPending(a));
  EXPECT_TRUE(q.Cancel(a));
  EXPECT_FALSE(q.Cancel(a));
  EXPECT_FALSE(q.IsPending(a));
  EXPECT_EQ(q.pending(), 1u);
  q.RunAll();
  EXPECT_EQ(ran, 10);
  EXPECT_FALSE(q.Cancel(b));  // already ran
}

TEST(EventQueueTest, StaleIdDoesNotCancelSlotReuser) {
  EventQueue q;
  int ran = 0;
  TimerId a = q.After(Duration::Seconds(1), [&] { ran += 1; });
  q.Cancel(a);
  TimerId c = q.After(Duration::Seconds(1), [&] { ran += 100; });
  EXPECT_EQ(c.slot, a.slot);  // slot reused
  EXPECT_FALSE(q.Cancel(a));  // old generation
  q.RunAll();
  EXPECT_EQ(ran, 100);
}

TEST(EventQueueTest, ManyCancellationsCompactAndKeepOrder) {
  EventQueue q;
  std::vector<int> order;
  std::vector<TimerId> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(q.Schedule(Time::FromNanos(1000 - i), [&order, i] { order.push_back(i); }));
  }
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 != 0) q.Cancel(ids[i]);
  }
  EXPECT_EQ(q.pending(), 100u);
  q.RunAll();
  ASSERT_EQ(order.size(), 100u);
  for (size_t k = 1; k < order.size(); ++k) EXPECT_GT(order[k - 1], order[k]);
}

TEST(EventQueueTest, RunUntilStopsAtBoundaryAndAdvancesClock) {
  EventQueue q;
  int ran = 0;
  q.Schedule(Time::FromNanos(10), [&] { ++ran; });
  q.Schedule(Time::FromNanos(20), [&] { ++ran; });
  q.Schedule(Time::FromNanos(21), [&] { ++ran; });
  q.RunUntil(Time::FromNanos(20));
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(q.now(), Time::FromNanos(20));
  q.RunUntil(Time::FromNanos(100));
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(q.now(), Time::FromNanos(100));
}

TEST(EventQueueTest, SchedulingInThePastIsAnError) {
  EventQueue q;
  q.RunUntil(Time::FromNanos(50));
  EXPECT_THROW(q.Schedule(Time::FromNanos(10), [] {}), std::logic_error);
}


TEST(EventQueueTest, ReserveSeqAdvancesTheCounterLikeSchedule) {
  EventQueue q;
  EXPECT_EQ(q.ReserveSeq(), 0u);
  q.Schedule(Time::FromNanos(1), [] {});
  EXPECT_EQ(q.ReserveSeq(), 2u);
  q.ScheduleSide(Time::FromNanos(1), [] {});
  EXPECT_EQ(q.ReserveSeq(), 4u);
  EXPECT_EQ(q.pending(), 2u);  // reservations schedule nothing
}

// Scheduling with reserved seqs later gives the same order as scheduling each event at the
// moment its seq was reserved.
TEST(EventQueueTest, ReservedSeqRunsAsIfScheduledAtReservation) {
  std::vector<int> direct;
  {
    EventQueue q;
    q.Schedule(Time::FromNanos(10), [&] { direct.push_back(0); });
    q.Schedule(Time::FromNanos(10), [&] { direct.push_back(1); });  // reserved in the twin
    q.Schedule(Time::FromNanos(10), [&] { direct.push_back(2); });
    q.Schedule(Time::FromNanos(5), [&] { direct.push_back(3); });  // reserved in the twin
    q.Schedule(Time::FromNanos(5), [&] { direct.push_back(4); });
    q.RunAll();
  }
  std::vector<int> reserved;
  {
    EventQueue q;
    q.Schedule(Time::FromNanos(10), [&] { reserved.push_back(0); });
    const uint64_t s1 = q.ReserveSeq();
    q.Schedule(Time::FromNanos(10), [&] { reserved.push_back(2); });
    const uint64_t s3 = q.ReserveSeq();
    q.Schedule(Time::FromNanos(5), [&] { reserved.push_back(4); });
    q.ScheduleReserved(Time::FromNanos(5), s3, [&] { reserved.push_back(3); });
    q.ScheduleReserved(Time::FromNanos(10), s1, [&] { reserved.push_back(1); });
    EXPECT_EQ(q.pending(), 5u);
    q.RunAll();
  }
  EXPECT_EQ(direct, (std::vector<int>{3, 4, 0, 1, 2}));
  EXPECT_EQ(reserved, direct);
}

// An event that reserves a seq and schedules it from a later event (a folded request and
// answer) runs before events at the same instant scheduled after the reservation.
TEST(EventQueueTest, ReservedSeqScheduledFromALaterEvent) {
  EventQueue q;
  std::vector<int> order;
  uint64_t reserved = 0;
  q.Schedule(Time::FromNanos(1), [&] { reserved = q.ReserveSeq(); });
  q.Schedule(Time::FromNanos(2), [&] {
    q.Schedule(Time::FromNanos(7), [&] { order.push_back(2); });
    q.ScheduleReserved(Time::FromNanos(7), reserved, [&] { order.push_back(1); });
  });
  q.Schedule(Time::FromNanos(7), [&] { order.push_back(0); });  // seq 2, before the reservation
  q.RunAll();
  // Seqs: 0 (t=1), 1 (t=2), 2 (t=7, order 0), 3 reserved at t=1, 4 (t=7, order 2).
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(EventQueueTest, ReservedEventCanBeCancelled) {
  EventQueue q;
  int ran = 0;
  const uint64_t s = q.ReserveSeq();
  TimerId id = q.ScheduleReserved(Time::FromNanos(3), s, [&] { ran += 1; });
  EXPECT_TRUE(q.IsPending(id));
  EXPECT_TRUE(q.Cancel(id));
  EXPECT_FALSE(q.IsPending(id));
  EXPECT_EQ(q.pending(), 0u);
  q.RunAll();
  EXPECT_EQ(ran, 0);
}

TEST(EventQueueTest, ReservedInThePastIsAnError) {
  EventQueue q;
  const uint64_t s = q.ReserveSeq();
  q.RunUntil(Time::FromNanos(50));
  EXPECT_THROW(q.ScheduleReserved(Time::FromNanos(10), s, [] {}), std::logic_error);
}

// A self-re-arming source in the side slot interleaved with heap events: the order equals
// the one with the source scheduled through Schedule, ties at equal times broken by seq.
TEST(EventQueueTest, SideSlotMergesWithHeapByTimeThenSeq) {
  auto run = [](bool use_side) {
    EventQueue q;
    std::vector<std::pair<int64_t, int>> log;
    struct Source {
      EventQueue* q;
      std::vector<std::pair<int64_t, int>>* log;
      bool use_side;
      int n = 0;
      void Arm(Time at) {
        auto cb = [this] { Fire(); };
        if (use_side) {
          q->ScheduleSide(at, cb);
        } else {
          q->Schedule(at, cb);
        }
      }
      void Fire() {
        log->push_back({q->now().nanos(), -1 - n});
        // Every third arrival also schedules a heap event at the same instant as the next
        // arrival (ties broken by seq: the heap event was scheduled first) and one just after.
        const Time next = q->now() + Duration::Nanos(n % 2 == 0 ? 3 : 0);
        if (n % 3 == 0) {
          const int tag = n;
          q->Schedule(next, [this, tag] { log->push_back({q->now().nanos(), 1000 + tag}); });
        }
        if (++n < 40) Arm(next);
        if (n % 5 == 0) {
          const int tag = n;
          q->Schedule(next, [this, tag] { log->push_back({q->now().nanos(), 2000 + tag}); });
        }
      }
    } src{&q, &log, use_side};
    for (int i = 0; i < 30; ++i) {
      q.Schedule(Time::FromNanos(2 * i), [&log, &q, i] { log.push_back({q.now().nanos(), i}); });
    }
    src.Arm(Time::FromNanos(4));
    q.RunAll();
    EXPECT_FALSE(q.side_pending());
    EXPECT_EQ(q.pending(), 0u);
    return log;
  };
  const auto side = run(true);
  const auto heap = run(false);
  EXPECT_EQ(side.size(), 30u + 40u + 14u + 8u);
  EXPECT_EQ(side, heap);
}

TEST(EventQueueTest, SideSlotTiesAtEqualTimeBrokenBySeq) {
  EventQueue q;
  std::vector<int> order;
  q.Schedule(Time::FromNanos(5), [&] { order.push_back(0); });
  q.ScheduleSide(Time::FromNanos(5), [&] { order.push_back(1); });
  q.Schedule(Time::FromNanos(5), [&] { order.push_back(2); });
  q.Schedule(Time::FromNanos(4), [&] { order.push_back(-1); });
  EXPECT_TRUE(q.side_pending());
  EXPECT_EQ(q.pending(), 4u);
  q.RunAll();
  EXPECT_EQ(order, (std::vector<int>{-1, 0, 1, 2}));
  EXPECT_EQ(q.executed(), 4u);
  EXPECT_EQ(q.now(), Time::FromNanos(5));
}

TEST(EventQueueTest, SecondSideEventThrowsAndSideCallbackCanRearm) {
  EventQueue q;
  int fired = 0;
  q.ScheduleSide(Time::FromNanos(1), [] {});
  EXPECT_THROW(q.ScheduleSide(Time::FromNanos(2), [] {}), std::logic_error);
  EXPECT_EQ(q.pending(), 1u);
  EXPECT_TRUE(q.Step());
  EXPECT_FALSE(q.side_pending());
  struct Rearm {
    EventQueue* q;
    int* fired;
    void operator()() const {
      if (++*fired < 3) q->ScheduleSide(q->now() + Duration::Nanos(1), Rearm{q, fired});
    }
  };
  q.ScheduleSide(Time::FromNanos(2), Rearm{&q, &fired});
  q.RunAll();
  EXPECT_EQ(fired, 3);
  EXPECT_EQ(q.now(), Time::FromNanos(4));
  q.RunUntil(Time::FromNanos(10));
  EXPECT_THROW(q.ScheduleSide(Time::FromNanos(9), [] {}), std::logic_error);
}

TEST(EventQueueTest, ClearDropsTheSideEvent) {
  EventQueue q;
  int ran = 0;
  q.ScheduleSide(Time::FromNanos(1), [&] { ++ran; });
  TimerId id = q.Schedule(Time::FromNanos(2), [&] { ++ran; });
  EXPECT_EQ(q.pending(), 2u);
  q.Clear();
  EXPECT_EQ(q.pending(), 0u);
  EXPECT_FALSE(q.side_pending());
  EXPECT_FALSE(q.IsPending(id));
  EXPECT_FALSE(q.Step());
  EXPECT_EQ(ran, 0);
  q.ScheduleSide(Time::FromNanos(3), [&] { ++ran; });  // the slot is free again
  q.RunAll();
  EXPECT_EQ(ran, 1);
}

TEST(EventQueueTest, RunUntilBoundariesWithSideEvent) {
  EventQueue q;
  std::vector<int> order;
  q.ScheduleSide(Time::FromNanos(20), [&] { order.push_back(1); });
  q.Schedule(Time::FromNanos(20), [&] { order.push_back(2); });
  q.Schedule(Time::FromNanos(10), [&] { order.push_back(0); });
  q.RunUntil(Time::FromNanos(19));
  EXPECT_EQ(order, (std::vector<int>{0}));
  EXPECT_EQ(q.now(), Time::FromNanos(19));
  EXPECT_TRUE(q.side_pending());
  q.RunUntil(Time::FromNanos(20));  // inclusive
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(q.side_pending());
  q.ScheduleSide(Time::FromNanos(25), [&] { order.push_back(3); });
  q.RunUntil(Time::FromNanos(24));
  EXPECT_EQ(order.size(), 3u);
  q.RunUntil(Time::FromNanos(100));
  EXPECT_EQ(order.back(), 3);
  EXPECT_EQ(q.now(), Time::FromNanos(100));
}

TEST(EventQueueTest, RequestStopWithSideEvent) {
  EventQueue q;
  std::vector<int> order;
  q.ScheduleSide(Time::FromNanos(1), [&] {
    order.push_back(1);
    q.RequestStop();
  });
  q.Schedule(Time::FromNanos(2), [&] { order.push_back(2); });
  q.RunUntil(Time::FromNanos(50));
  EXPECT_EQ(order, (std::vector<int>{1}));
  EXPECT_EQ(q.now(), Time::FromNanos(1));  // stopped: not advanced to 50
  EXPECT_FALSE(q.stop_requested());
  q.Schedule(Time::FromNanos(3), [&] {
    order.push_back(3);
    q.RequestStop();
  });
  q.ScheduleSide(Time::FromNanos(4), [&] { order.push_back(4); });
  q.RunAll();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(q.pending(), 1u);
  q.RunAll();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

// An obviously correct event queue (an ordered map by (time, seq)) with the same contract, to
// check EventQueue against on random operation sequences.
class ReferenceQueue {
 public:
  using Callback = std::function<void()>;
  TimerId Schedule(Time at, Callback cb) { return Insert(at, seq_++, std::move(cb)); }
  uint64_t ReserveSeq() { return seq_++; }
  TimerId ScheduleReserved(Time at, uint64_t seq, Callback cb) { return Insert(at, seq, std::move(cb)); }
  void ScheduleSide(Time at, Callback cb) {
    side_ = Insert(at, seq_++, std::move(cb));
    side_pending_ = true;
  }
  bool side_pending() const { return side_pending_; }
  bool Cancel(TimerId id) {
    auto it = by_id_.find(id.slot);
    if (it == by_id_.end()) return false;
    events_.erase(it->second);
    by_id_.erase(it);
    return true;
  }
  bool IsPending(TimerId id) const { return by_id_.contains(id.slot); }
  void Clear() {
    events_.clear();
    by_id_.clear();
    side_pending_ = false;
  }
  bool Step() {
    if (events_.empty()) return false;
    auto it = events_.begin();
    now_ = Time::FromNanos(it->first.first);
    Callback cb = std::move(it->second.second);
    if (side_pending_ && side_.slot == it->second.first) side_pending_ = false;
    by_id_.erase(it->second.first);
    events_.erase(it);
    cb();
    return true;
  }
  void RunUntil(Time until) {
    while (!stop_) {
      if (events_.empty() || events_.begin()->first.first > until.nanos()) {
        if (until > now_) now_ = until;
        return;
      }
      Step();
    }
    stop_ = false;
  }
  void RunAll() {
    while (!stop_ && Step()) {
    }
    stop_ = false;
  }
  void RequestStop() { stop_ = true; }
  Time now() const { return now_; }
  size_t pending() const { return events_.size(); }

 private:
  using Key = std::pair<int64_t, uint64_t>;
  TimerId Insert(Time at, uint64_t seq, Callback cb) {
    const uint32_t id = next_id_++;
    auto it = events_.emplace(Key{at.nanos(), seq}, std::make_pair(id, std::move(cb))).first;
    by_id_.emplace(id, it);
    return TimerId{id, 1};
  }
  std::map<Key, std::pair<uint32_t, Callback>> events_;
  std::map<uint32_t, std::map<Key, std::pair<uint32_t, Callback>>::iterator> by_id_;
  uint64_t seq_ = 0;
  uint32_t next_id_ = 0;
  TimerId side_;
  bool side_pending_ = false;
  bool stop_ = false;
  Time now_;
};

// Drives a queue with a random but reproducible mix of every operation, from the outside and
// from inside running events, and logs what ran (event number, time). Both queues see the
// same calls as long as they run the same events in the same order.
template <typename Q>
class Driver {
 public:
  Driver(Q& q, uint64_t seed, int64_t max_delay) : q_(q), rng_(seed), max_delay_(max_delay) {}

  std::vector<std::pair<int, int64_t>> Run(int rounds) {
    for (int r = 0; r < rounds; ++r) {
      const uint64_t op = rng_.UniformInt(100);
      if (op < 55) {
        Act(4);
      } else if (op < 80) {
        q_.Step();
      } else if (op < 93) {
        q_.RunUntil(q_.now() + Duration::Nanos(static_cast<int64_t>(rng_.UniformInt(max_delay_ / 4 + 1))));
        last_ = Key{q_.now().nanos(), last_.second};  // the reference key may be up to now()
        last_is_now_ = true;
      } else if (op < 99) {
        for (int k = 0; k < 20; ++k) q_.Step();
      } else if (rng_.UniformInt(4) == 0) {
        q_.Clear();
        live_.clear();
      }
      EXPECT_EQ(q_.pending(), pending_check());
    }
    q_.RunAll();
    q_.RunAll();  // once more in case an event requested a stop
    return log_;
  }

 private:
  using Key = std::pair<int64_t, uint64_t>;
  size_t pending_check() const { return q_.pending(); }
  Duration Delay() {
    switch (rng_.UniformInt(4)) {
      case 0: return Duration();  // same instant: ties broken by seq
      case 1: return Duration::Nanos(static_cast<int64_t>(rng_.UniformInt(8)));
      default: return Duration::Nanos(static_cast<int64_t>(rng_.UniformInt(max_delay_)));
    }
  }
  void Run(int n, uint64_t seq, int depth) {
    log_.push_back({n, q_.now().nanos()});
    last_ = Key{q_.now().nanos(), seq};
    last_is_now_ = false;
    if (depth > 0 && rng_.UniformInt(3) != 0) Act(depth - 1);
    if (rng_.UniformInt(400) == 0) q_.RequestStop();
  }
  typename Q::Callback Event(uint64_t seq, int depth) {
    const int n = next_event_++;
    return [this, n, seq, depth] { Run(n, seq, depth); };
  }
  void Act(int depth) {
    const uint64_t op = rng_.UniformInt(100);
    if (op < 45) {
      const uint64_t seq = seq_++;
      live_.push_back(q_.Schedule(q_.now() + Delay(), Event(seq, depth)));
    } else if (op < 55) {
      reserved_.push_back(q_.ReserveSeq());
      ++seq_;
    } else if (op < 70 && !reserved_.empty()) {
      const size_t i = rng_.UniformInt(reserved_.size());
      const uint64_t seq = reserved_[i];
      reserved_[i] = reserved_.back();
      reserved_.pop_back();
      // The contract: not before now() and after the event that ran last.
      Time at = q_.now() + Delay();
      const bool after_last = at.nanos() > last_.first ||
                              (at.nanos() == last_.first && (last_is_now_ ? false : seq > last_.second));
      if (!after_last) at = Time::FromNanos(std::max(last_.first, q_.now().nanos()) + 1);
      live_.push_back(q_.ScheduleReserved(at, seq, Event(seq, depth)));
    } else if (op < 85) {
      if (!q_.side_pending()) {
        const uint64_t seq = seq_++;
        q_.ScheduleSide(q_.now() + Delay(), Event(seq, depth));
      }
    } else if (!live_.empty()) {
      const size_t i = rng_.UniformInt(live_.size());
      q_.Cancel(live_[i]);
      live_[i] = live_.back();
      live_.pop_back();
    }
  }

  Q& q_;
  Rng rng_;
  int64_t max_delay_;
  uint64_t seq_ = 0;
  int next_event_ = 0;
  Key last_{INT64_MIN, 0};
  bool last_is_now_ = false;
  std::vector<TimerId> live_;  // may hold ids that already ran (Cancel returns false)
  std::vector<uint64_t> reserved_;
  std::vector<std::pair<int, int64_t>> log_;
};

TEST(EventQueueTest, MatchesReferenceOnRandomOperations) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    for (int64_t max_delay : {int64_t{3}, int64_t{1000}, int64_t{1} << 40}) {
      EventQueue q;
      ReferenceQueue ref;
      const auto got = Driver<EventQueue>(q, seed, max_delay).Run(3000);
      const auto want = Driver<ReferenceQueue>(ref, seed, max_delay).Run(3000);
      ASSERT_GT(want.size(), 500u);
      ASSERT_EQ(got, want) << "seed " << seed << " max_delay " << max_delay;
      EXPECT_EQ(q.pending(), 0u);
      EXPECT_EQ(q.now(), ref.now());
    }
  }
}

// A cancelled event at exactly `until` must not stop a reserved seq below it from being
// scheduled at `until` afterwards.
TEST(EventQueueTest, StaleEntryAtRunUntilBoundaryLeavesRoomForReservedSeq) {
  EventQueue q;
  std::vector<int> order;
  const uint64_t r = q.ReserveSeq();
  TimerId x = q.Schedule(Time::FromNanos(100), [&] { order.push_back(-1); });
  q.Schedule(Time::FromNanos(300), [&] { order.push_back(3); });
  q.Cancel(x);
  q.RunUntil(Time::FromNanos(100));
  EXPECT_EQ(q.now(), Time::FromNanos(100));
  q.Schedule(Time::FromNanos(100), [&] { order.push_back(2); });
  q.ScheduleReserved(Time::FromNanos(100), r, [&] { order.push_back(1); });
  q.RunAll();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

// Stale entries beyond now() must not stop later schedules before them.
TEST(EventQueueTest, OnlyCancelledEventsLeftThenScheduleEarlier) {
  EventQueue q;
  std::vector<int> order;
  TimerId a = q.Schedule(Time::FromNanos(1000), [&] { order.push_back(-1); });
  TimerId b = q.Schedule(Time::FromNanos(2000), [&] { order.push_back(-2); });
  q.Schedule(Time::FromNanos(10), [&] { order.push_back(0); });
  q.Cancel(a);
  q.Cancel(b);
  EXPECT_TRUE(q.Step());
  EXPECT_FALSE(q.Step());
  EXPECT_EQ(q.now(), Time::FromNanos(10));
  q.Schedule(Time::FromNanos(20), [&] { order.push_back(1); });
  q.RunUntil(Time::FromNanos(15));
  q.Schedule(Time::FromNanos(15), [&] { order.push_back(2); });
  TimerId c = q.Schedule(Time::FromNanos(500), [&] { order.push_back(-3); });
  q.ScheduleSide(Time::FromNanos(600), [&] { order.push_back(4); });
  q.Cancel(c);
  q.Schedule(Time::FromNanos(550), [&] { order.push_back(3); });
  q.RunAll();
  EXPECT_EQ(order, (std::vector<int>{0, 2, 1, 3, 4}));
}

TEST(EventQueueTest, ReservedBeforeTheLastEventIsAnError) {
  EventQueue q;
  const uint64_t r = q.ReserveSeq();
  q.Schedule(Time::FromNanos(5), [] {});
  q.RunAll();  // ran (5, seq 1)
  EXPECT_THROW(q.ScheduleReserved(Time::FromNanos(5), r, [] {}), std::logic_error);
  EXPECT_NO_THROW(q.ScheduleReserved(Time::FromNanos(6), r, [] {}));
}

// Large pending counts with cancellations: the order still matches (time, seq).
TEST(EventQueueTest, ManyPendingWithCancellationsRunInKeyOrder) {
  EventQueue q;
  Rng rng(7);
  std::vector<std::pair<int64_t, int>> ran;
  std::vector<TimerId> ids;
  std::map<std::pair<int64_t, int>, bool> expected;  // (time, insertion index) -> cancelled
  for (int i = 0; i < 200000; ++i) {
    const int64_t at = static_cast<int64_t>(rng.UniformInt(1 << 20));
    ids.push_back(q.Schedule(Time::FromNanos(at), [&ran, &q, i] { ran.push_back({q.now().nanos(), i}); }));
    expected[{at, i}] = false;
  }
  for (int i = 0; i < 200000; i += 3) {
    ASSERT_TRUE(q.Cancel(ids[i]));
  }
  std::vector<std::pair<int64_t, int>> want;
  for (const auto& [key, unused] : expected) {
    if (key.second % 3 != 0) want.push_back(key);
  }
  EXPECT_EQ(q.pending(), want.size());
  q.RunAll();
  EXPECT_EQ(ran, want);
}

}  // namespace
}  // namespace credsim
