#include "sim/engine/event_queue.h"

#include <vector>

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace credsim
