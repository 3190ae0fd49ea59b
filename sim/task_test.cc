#include "sim/task.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/executor.h"

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

}  // namespace
}  // namespace credsim
