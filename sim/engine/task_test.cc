#include "sim/engine/task.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/executor.h"

namespace credsim {
namespace {

Task<int> AddLater(Executor& ex, int a, int b) {
  co_await Sleep(ex, Duration::Millis(5));
  co_return a + b;
}

Task<void> Sum(Executor& ex, std::vector<std::string>& log) {
  int x = co_await AddLater(ex, 1, 2);
  log.push_back("x=" + std::to_string(x) + "@" + std::to_string(ex.Now().nanos() / 1000000));
  int y = co_await AddLater(ex, x, 10);
  log.push_back("y=" + std::to_string(y) + "@" + std::to_string(ex.Now().nanos() / 1000000));
}

TEST(TaskTest, AwaitsChainInSimulatedTime) {
  EventQueue q;
  SimExecutor ex(q);
  std::vector<std::string> log;
  Spawn(Sum(ex, log));
  EXPECT_TRUE(log.empty());
  q.RunAll();
  EXPECT_EQ(log, (std::vector<std::string>{"x=3@5", "y=13@10"}));
}

Task<int> Throws(Executor& ex) {
  co_await Sleep(ex, Duration::Millis(1));
  throw std::runtime_error("boom");
}

Task<void> Catches(Executor& ex, std::string& out) {
  try {
    co_await Throws(ex);
    out = "no exception";
  } catch (const std::runtime_error& e) {
    out = e.what();
  }
}

TEST(TaskTest, ExceptionsPropagateToAwaiter) {
  EventQueue q;
  SimExecutor ex(q);
  std::string out;
  Spawn(Catches(ex, out));
  q.RunAll();
  EXPECT_EQ(out, "boom");
}

Task<void> LongWork(Executor& ex, int& stage) {
  stage = 1;
  co_await Sleep(ex, Duration::Seconds(1));
  stage = 2;  // never reached when cancelled during the sleep
}

Task<void> Root(Executor& ex, int& stage, bool& cancelled_seen) {
  try {
    co_await LongWork(ex, stage);
  } catch (const RequestCancelled&) {
    cancelled_seen = true;
  }
}

TEST(TaskTest, CancelFlagUnwindsNestedChainAtNextResume) {
  EventQueue q;
  SimExecutor ex(q);
  bool flag = false;
  int stage = 0;
  bool seen = false;
  Spawn(Root(ex, stage, seen), &flag);
  q.After(Duration::Millis(500), [&flag] { flag = true; });
  q.RunAll();
  EXPECT_EQ(stage, 1);
  EXPECT_TRUE(seen);
}

TEST(TaskTest, UncancelledChainCompletes) {
  EventQueue q;
  SimExecutor ex(q);
  bool flag = false;
  int stage = 0;
  bool seen = false;
  Spawn(Root(ex, stage, seen), &flag);
  q.RunAll();
  EXPECT_EQ(stage, 2);
  EXPECT_FALSE(seen);
}

Task<void> Waiter(SharedResult<int>& r, std::vector<int>& got, int tag) {
  int v = co_await r.Wait();
  got.push_back(v * 10 + tag);
}

TEST(TaskTest, SharedResultResumesAllWaitersInOrderAndLateJoinersImmediately) {
  EventQueue q;
  SimExecutor ex(q);
  std::vector<int> got;
  {
    SharedResult<int> r(ex);
    for (int i = 0; i < 3; ++i) Spawn(Waiter(r, got, i));
    EXPECT_EQ(r.waiters(), 3u);
    r.Set(7);
    Spawn(Waiter(r, got, 9));  // ready: no suspension
    EXPECT_EQ(got, (std::vector<int>{79}));
  }  // destroyed before the waiters resume: they hold their own copy
  q.RunAll();
  EXPECT_EQ(got, (std::vector<int>{79, 70, 71, 72}));
}

TEST(TaskTest, FramesAreRecycled) {
  EventQueue q;
  SimExecutor ex(q);
  std::vector<std::string> log;
  Spawn(Sum(ex, log));
  q.RunAll();
  const size_t before = FramePoolHeapAllocations();
  for (int i = 0; i < 100; ++i) Spawn(Sum(ex, log));
  q.RunAll();
  // Frames of 100 concurrent chains are allocated once, then reused by later chains.
  const size_t after_first_wave = FramePoolHeapAllocations();
  for (int i = 0; i < 100; ++i) Spawn(Sum(ex, log));
  q.RunAll();
  EXPECT_EQ(FramePoolHeapAllocations(), after_first_wave);
  EXPECT_GE(after_first_wave, before);
}

// ---- Failing soft, teardown, parameter lifetime ------------------------------------------

Task<void> FailsAfter(Executor& ex, Duration d, std::string what) {
  co_await Sleep(ex, d);
  throw std::runtime_error(what);
}

TEST(TaskTest, RootFailureIsRecordedAndStopsTheQueue) {
  EventQueue q;
  SimExecutor ex(q);
  bool later_ran = false;
  Spawn(FailsAfter(ex, Duration::Seconds(1), "first"));  // bound at its first suspension
  Spawn(FailsAfter(ex, Duration::Seconds(1), "second"));
  q.After(Duration::Seconds(5), [&later_ran] { later_ran = true; });
  q.RunAll();  // would terminate before: the exception escaped a detached root
  EXPECT_TRUE(ex.failed());
  EXPECT_EQ(ex.failure_message(), "first");
  EXPECT_FALSE(later_ran);  // the run stopped after the failing event
  EXPECT_EQ(q.now(), Time() + Duration::Seconds(1));
  EXPECT_EQ(ex.live_roots(), 1u);  // "second" is still pending
}

Task<void> FailsAtOnce() {
  throw std::logic_error("synchronous");
  co_return;
}

TEST(TaskTest, FailureBeforeFirstSuspensionGoesToTheCallerOrTheGivenExecutor) {
  EventQueue q;
  SimExecutor ex(q);
  EXPECT_THROW(Spawn(FailsAtOnce()), std::logic_error);
  EXPECT_FALSE(ex.failed());
  Spawn(ex, FailsAtOnce());
  EXPECT_TRUE(ex.failed());
  EXPECT_EQ(ex.failure_message(), "synchronous");
  EXPECT_EQ(ex.live_roots(), 0u);
}

struct Counted {
  int* destroyed;
  ~Counted() { ++*destroyed; }
};

Task<void> WaitsForever(SharedResult<int>& r, int* destroyed) {
  Counted c{destroyed};
  co_await r.Wait();
  ADD_FAILURE() << "resumed after teardown";
}

Task<void> SleepsLong(Executor& ex, int* destroyed) {
  Counted c{destroyed};
  co_await Sleep(ex, Duration::Hours(1));
  ADD_FAILURE() << "resumed after teardown";
}

TEST(TaskTest, ShutdownDestroysSuspendedRootsAndDropsTheirEvents) {
  EventQueue q;
  int destroyed = 0;
  {
    SimExecutor ex(q);
    SharedResult<int> never(ex);
    Spawn(WaitsForever(never, &destroyed));
    Spawn(SleepsLong(ex, &destroyed), nullptr);
    Spawn(ex, SleepsLong(ex, &destroyed));
    EXPECT_EQ(ex.live_roots(), 3u);
    q.RunUntil(Time() + Duration::Minutes(1));
    ex.Shutdown();  // frames were leaked before (and their events stayed queued)
    EXPECT_EQ(destroyed, 3);
    EXPECT_EQ(ex.live_roots(), 0u);
    EXPECT_EQ(q.pending(), 0u);
    ex.ResumeAfter(Duration(), std::noop_coroutine());  // ignored after shutdown
    EXPECT_EQ(q.pending(), 0u);
  }
  q.RunAll();  // nothing left to resume
  EXPECT_EQ(destroyed, 3);
}

TEST(TaskTest, ExecutorDestructorDestroysRootsStillBound) {
  int destroyed = 0;
  EventQueue q;
  {
    SimExecutor ex(q);
    Spawn(SleepsLong(ex, &destroyed));
  }
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(q.pending(), 0u);
}

TEST(TaskTest, FinishedRootsUnlinkThemselves) {
  EventQueue q;
  SimExecutor ex(q);
  std::vector<std::string> log;
  for (int i = 0; i < 3; ++i) Spawn(Sum(ex, log));
  EXPECT_EQ(ex.live_roots(), 3u);
  q.RunAll();
  EXPECT_EQ(ex.live_roots(), 0u);
  EXPECT_FALSE(ex.failed());
}

// A coroutine taking its argument by value keeps its own copy: the caller's object may change
// or die before the lazily started task first runs. (With `const Payload&` this reads 2, or
// a dead stack slot under ASan.)
struct Payload {
  int value;
};
Task<int> ReadAfterSleep(Executor& ex, Payload p) {
  co_await Sleep(ex, Duration::Millis(1));
  co_return p.value;
}
Task<void> AwaitInto(Task<int> t, int* out) { *out = co_await std::move(t); }

TEST(TaskTest, ArgumentsPassedByValueSurviveUntilTheTaskRuns) {
  EventQueue q;
  SimExecutor ex(q);
  Task<int> t;
  {
    Payload arg{1};
    t = ReadAfterSleep(ex, arg);
    arg.value = 2;
  }
  int out = 0;
  Spawn(AwaitInto(std::move(t), &out));
  q.RunAll();
  EXPECT_EQ(out, 1);
}

TEST(TaskTest, SharedResultWaitIsWarningFreeAndStartsEmpty) {
  EventQueue q;
  SimExecutor ex(q);
  SharedResult<int> r(ex);
  auto node = r.Wait();
  EXPECT_EQ(node.owner, &r);
  EXPECT_EQ(node.next, nullptr);
  EXPECT_FALSE(node.result.has_value());
}

}  // namespace
}  // namespace credsim
