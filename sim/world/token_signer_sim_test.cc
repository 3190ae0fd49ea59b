#include "sim/world/token_signer_sim.h"

#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/executor.h"

namespace credsim {
namespace {

constexpr uint64_t kSeed = 42;

Task<void> SignAt(TokenSigner& signer, Executor& clock, Duration delay, Time* done) {
  if (delay > Duration()) co_await Sleep(clock, delay);
  co_await signer.SignJwt(CredentialKey{1, 1});
  *done = clock.Now();
}

struct Fixture {
  EventQueue q;
  SimExecutor ex{q};
  RunMetrics m{Time(), Time() + Duration::Hours(1), Duration::Seconds(1)};
};

// Issue 11 item 8: an isolate is single-threaded, so N concurrent signatures in one isolate
// take N x the CPU time (the old per-colo signer let them overlap: all finished at 5 ms).
TEST(SerialTokenSignerTest, ConcurrentSignaturesQueueBehindEachOther) {
  Fixture f;
  TokenSignerSim source(Distribution::Constant(0.005), f.ex, f.m, Rng::ForStream(kSeed, "signer"));
  SerialTokenSigner isolate(source);
  constexpr int kN = 10;
  std::vector<Time> done(kN);
  for (int i = 0; i < kN; ++i) Spawn(f.ex, SignAt(isolate, f.ex, Duration(), &done[i]));
  f.q.RunAll();
  for (int i = 0; i < kN; ++i) EXPECT_EQ(done[i], Time() + Duration::Millis(5) * (i + 1)) << i;
  EXPECT_EQ(isolate.busy_until(), Time() + Duration::Millis(5 * kN));
  EXPECT_EQ(f.m.jwt_signatures, static_cast<uint64_t>(kN));
  EXPECT_DOUBLE_EQ(f.m.worker_cpu_ms, 5.0 * kN);
}

TEST(SerialTokenSignerTest, TwoIsolatesSignInParallel) {
  Fixture f;
  TokenSignerSim source(Distribution::Constant(0.005), f.ex, f.m, Rng::ForStream(kSeed, "signer"));
  SerialTokenSigner a(source), b(source);
  Time a1, a2, b1, b2;
  Spawn(f.ex, SignAt(a, f.ex, Duration(), &a1));
  Spawn(f.ex, SignAt(b, f.ex, Duration(), &b1));
  Spawn(f.ex, SignAt(a, f.ex, Duration(), &a2));
  Spawn(f.ex, SignAt(b, f.ex, Duration(), &b2));
  f.q.RunAll();
  EXPECT_EQ(a1, Time() + Duration::Millis(5));
  EXPECT_EQ(b1, Time() + Duration::Millis(5));
  EXPECT_EQ(a2, Time() + Duration::Millis(10));
  EXPECT_EQ(b2, Time() + Duration::Millis(10));
}

TEST(SerialTokenSignerTest, AnIdleQueueStartsAtTheRequest) {
  Fixture f;
  TokenSignerSim source(Distribution::Constant(0.005), f.ex, f.m, Rng::ForStream(kSeed, "signer"));
  SerialTokenSigner s(source);
  Time first, overlapping, later;
  Spawn(f.ex, SignAt(s, f.ex, Duration(), &first));                       // 0 -> 5 ms
  Spawn(f.ex, SignAt(s, f.ex, Duration::Millis(2), &overlapping));         // 5 -> 10 ms
  Spawn(f.ex, SignAt(s, f.ex, Duration::Seconds(1), &later));              // idle: 1 s -> +5 ms
  f.q.RunAll();
  EXPECT_EQ(first, Time() + Duration::Millis(5));
  EXPECT_EQ(overlapping, Time() + Duration::Millis(10));
  EXPECT_EQ(later, Time() + Duration::Seconds(1) + Duration::Millis(5));
}

// The serial signer takes its CPU times from the colo source's stream, one draw per
// signature, in request order: the same numbers as the unconstrained signer would draw.
TEST(SerialTokenSignerTest, DrawsOnceFromTheSourceStreamPerSignature) {
  Fixture f;
  const Distribution cpu = Distribution::Uniform(0.002, 0.010);
  TokenSignerSim source(cpu, f.ex, f.m, Rng::ForStream(kSeed, "signer"));
  SerialTokenSigner s(source);
  constexpr int kN = 50;
  std::vector<Time> done(kN);
  for (int i = 0; i < kN; ++i) Spawn(f.ex, SignAt(s, f.ex, Duration(), &done[i]));
  f.q.RunAll();
  Rng rng = Rng::ForStream(kSeed, "signer");
  Time expected;
  for (int i = 0; i < kN; ++i) {
    expected = expected + Duration::FromSecondsF(cpu.Sample(rng));
    EXPECT_EQ(done[i], expected) << i;
  }
  EXPECT_EQ(f.m.jwt_signatures, static_cast<uint64_t>(kN));
  EXPECT_NEAR(f.m.worker_cpu_ms, (expected - Time()).millis(), 1e-6);
}

TEST(TokenSignerSimTest, DrawCpuCountsOnlyInsideTheWindow) {
  EventQueue q;
  SimExecutor ex(q);
  RunMetrics m(Time() + Duration::Seconds(1), Time() + Duration::Hours(1), Duration::Seconds(1));
  TokenSignerSim source(Distribution::Constant(0.003), ex, m, Rng::ForStream(kSeed, "signer"));
  EXPECT_EQ(source.DrawCpu(), Duration::Millis(3));
  EXPECT_EQ(m.jwt_signatures, 0u);
  q.After(Duration::Seconds(2), [&] { EXPECT_EQ(source.DrawCpu(), Duration::Millis(3)); });
  q.RunAll();
  EXPECT_EQ(m.jwt_signatures, 1u);
  EXPECT_DOUBLE_EQ(m.worker_cpu_ms, 3.0);
}

}  // namespace
}  // namespace credsim
