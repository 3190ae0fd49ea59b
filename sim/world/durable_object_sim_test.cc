#include "sim/world/durable_object_sim.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/executor.h"

namespace credsim {
namespace {

constexpr Time At(Duration d) { return Time() + d; }
constexpr Duration Ms(int64_t n) { return Duration::Millis(n); }
constexpr Duration S(int64_t n) { return Duration::Seconds(n); }

// RTT = 10 ms per colo index of distance (0 within a colo).
class FakeNetwork final : public ColoNetwork {
 public:
  Duration Rtt(uint32_t a, uint32_t b) const override {
    return Ms(10 * std::abs(static_cast<int64_t>(a) - static_cast<int64_t>(b)));
  }
};

class FakeSts final : public StsClient {
 public:
  explicit FakeSts(Executor& ex) : ex_(ex) {}
  Task<StsResult> AssumeRoleWithWebIdentity(CredentialKey key) override {
    ++calls;
    co_await Sleep(ex_, latency);
    StsResult r;
    r.credentials.id = ++issued;
    r.credentials.issued_at = ex_.Now();
    r.credentials.expiration = ex_.Now() + Duration::Hours(1);
    co_return r;
  }
  Duration latency = Ms(100);
  int calls = 0;
  uint64_t issued = 0;

 private:
  Executor& ex_;
};

class FakeSigner final : public TokenSigner {
 public:
  Task<void> SignJwt(CredentialKey key) override { co_return; }
};

class FakeKv final : public KvNamespace {
 public:
  Task<KvRead> Get(CredentialKey key, Duration cache_ttl) override { co_return KvRead{}; }
  Task<KvStatus> Put(CredentialKey key, Credentials value, Duration ttl) override {
    co_return KvStatus::kOk;
  }
};

// What the test objects do, chosen per request (DoRequest::op).
enum Op : uint32_t {
  kPlain,          // nothing
  kSts,            // await STS (input gate open)
  kPut,            // storage put of a dummy credential
  kStsThenStore,   // STS, then store the result and keep it in memory
  kGetStored,      // return the stored credential
  kCount,          // in-memory and storage-backed counters: id = memory * 1000 + durable
  kStoreExpiring,  // store credentials expiring stale_id seconds from now
  kSetAlarm,       // SetAlarm(now + stale_id seconds)
  kThrow,          // throw from Fetch
};

// Observations shared by every instance (they survive evictions).
struct Probe {
  int constructions = 0;
  int fetches = 0;
  int completed_fetches = 0;
  std::vector<Time> alarm_times;
  int alarm_failures = 0;   // the first N invocations fail
  bool alarm_throws = false;  // failures throw instead of returning false
  // If set, the first invocation calls SetAlarm(now + this) before its outcome (workerd's
  // "handler sets an alarm and throws" plan, docs/platform-conformance.md#do-alarms).
  std::optional<Duration> first_alarm_sets;
  std::vector<uint32_t> sts_colos;
};

class TestObject final : public DurableObject {
 public:
  TestObject(DurableObjectContext& ctx, Probe& probe) : ctx_(ctx), probe_(probe) {
    ++probe_.constructions;
  }

  Task<DoResponse> Fetch(DoRequest r) override {
    ++probe_.fetches;
    ++memory_count_;
    DoResponse resp;
    const Time now = ctx_.clock().Now();
    switch (r.op) {
      case kPlain:
        break;
      case kSts: {
        StsResult s = co_await ctx_.sts().AssumeRoleWithWebIdentity(r.key);
        resp.credentials = s.credentials;
        break;
      }
      case kPut: {
        Credentials c;
        co_await ctx_.storage().Put(r.key, c);
        break;
      }
      case kStsThenStore: {
        StsResult s = co_await ctx_.sts().AssumeRoleWithWebIdentity(r.key);
        co_await ctx_.storage().Put(r.key, s.credentials);
        resp.credentials = s.credentials;
        break;
      }
      case kGetStored: {
        std::optional<Credentials> c = co_await ctx_.storage().Get(r.key);
        if (c) resp.credentials = *c;
        break;
      }
      case kCount: {
        std::optional<Credentials> stored = co_await ctx_.storage().Get(r.key);
        Credentials c;
        c.id = (stored ? stored->id : 0) + 1;
        co_await ctx_.storage().Put(r.key, c);
        resp.credentials.id = memory_count_ * 1000 + c.id;
        break;
      }
      case kStoreExpiring: {
        Credentials c;
        c.id = memory_count_;
        c.issued_at = now;
        c.expiration = now + S(static_cast<int64_t>(r.stale_id));
        co_await ctx_.storage().Put(r.key, c);
        break;
      }
      case kSetAlarm:
        ctx_.SetAlarm(now + S(static_cast<int64_t>(r.stale_id)));
        break;
      case kThrow:
        throw std::runtime_error("object bug");
    }
    ++probe_.completed_fetches;
    co_return resp;
  }

  Task<bool> Alarm() override {
    probe_.alarm_times.push_back(ctx_.clock().Now());
    // Cleared while the handler runs (unless a failed run set one and this is its retry).
    if (!probe_.first_alarm_sets) {
      EXPECT_FALSE(ctx_.GetAlarm().has_value());
    }
    if (probe_.first_alarm_sets && probe_.alarm_times.size() == 1) {
      ctx_.SetAlarm(ctx_.clock().Now() + *probe_.first_alarm_sets);
    }
    if (static_cast<int>(probe_.alarm_times.size()) <= probe_.alarm_failures) {
      if (probe_.alarm_throws) throw std::runtime_error("alarm failed");
      co_return false;
    }
    co_return true;
  }

 private:
  DurableObjectContext& ctx_;
  Probe& probe_;
  uint64_t memory_count_ = 0;
};

struct Outcome {
  Time at;
  DoResponse response;
  bool cancelled = false;
};

Task<void> Call(DurableObjectStub* stub, DoRequest request, Executor* ex,
                std::vector<Outcome>* out) {
  Outcome o;
  try {
    o.response = co_await stub->Fetch(request);
  } catch (const RequestCancelled&) {
    o.cancelled = true;
  }
  o.at = ex->Now();
  out->push_back(o);
}

constexpr CredentialKey kKey{7, 0};

class DurableObjectSimTest : public ::testing::Test {
 protected:
  void Build(const DurableObjectConfig& config, bool null_factory = false) {
    DurableObjectEnv env;
    env.sts = [this](uint32_t colo) -> StsClient& {
      probe_.sts_colos.push_back(colo);
      return sts_;
    };
    env.signer = [this](uint32_t) -> TokenSigner& { return signer_; };
    env.kv = [this](uint32_t) -> KvNamespace& { return kv_; };
    DurableObjectFactory factory;
    if (!null_factory) {
      factory = [this](DurableObjectContext& ctx) -> std::unique_ptr<DurableObject> {
        return std::make_unique<TestObject>(ctx, probe_);
      };
    }
    platform_ = std::make_unique<DurableObjectPlatform>(config, ex_, q_, network_, env,
                                                        std::move(factory), Rng(42), metrics_);
  }

  // Starts a call from `colo` now.
  void Start(uint32_t colo, Op op, uint64_t arg = 0, const bool* cancelled = nullptr,
             CredentialKey key = kKey) {
    DurableObjectStub* stub = &platform_->Namespace(colo).Get(key);
    DoRequest request{key, op, arg};
    Spawn(Call(stub, request, &ex_, &out_), cancelled);
  }

  EventQueue q_;
  SimExecutor ex_{q_};
  RunMetrics metrics_{Time(), At(Duration::Hours(10)), S(60)};
  FakeNetwork network_;
  FakeSts sts_{ex_};
  FakeSigner signer_;
  FakeKv kv_;
  Probe probe_;
  std::vector<Outcome> out_;
  std::unique_ptr<DurableObjectPlatform> platform_;  // last: destroyed first
};

TEST_F(DurableObjectSimTest, PlacedAtFirstCallerAndRemoteCallersPayTheRtt) {
  Build(DurableObjectConfig{});
  Start(3, kPlain);
  EXPECT_EQ(platform_->ObjectColo(kKey), 3u);
  EXPECT_EQ(platform_->object_count(), 1u);
  q_.RunUntil(At(S(1)));
  Start(7, kPlain);  // RTT 40 ms
  q_.RunUntil(At(S(2)));
  Start(8, kPlain);  // RTT 50 ms
  q_.RunUntil(At(S(3)));
  EXPECT_EQ(platform_->ObjectColo(kKey), 3u);  // never moves
  // Another key of the same role, from another colo, is the same object.
  platform_->Namespace(9).Get(CredentialKey{7, 5});
  EXPECT_EQ(platform_->ObjectColo(CredentialKey{7, 5}), 3u);
  ASSERT_EQ(out_.size(), 3u);
  EXPECT_EQ(out_[0].at, At(Ms(1)));                 // service time only
  EXPECT_EQ(out_[1].at, At(S(1) + Ms(20 + 1 + 20)));  // RTT/2 + service + RTT/2
  EXPECT_EQ(out_[2].at, At(S(2) + Ms(25 + 1 + 25)));
  EXPECT_EQ(metrics_.do_requests, 3u);
  EXPECT_EQ(platform_->object_count(), 1u);
}

TEST_F(DurableObjectSimTest, HintPlacesAtTheLocationColo) {
  DurableObjectConfig config;
  config.placement = DurableObjectPlacement::kHint;
  config.location_colo = 5;
  Build(config);
  Start(1, kSts);
  EXPECT_EQ(platform_->ObjectColo(kKey), 5u);
  q_.RunAll();
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].at, At(Ms(20 + 1 + 100 + 20)));
  // The object's ports are those of its own colo.
  EXPECT_EQ(probe_.sts_colos, std::vector<uint32_t>{5});
}

TEST_F(DurableObjectSimTest, SimultaneousCallsAreServedOneAtATime) {
  Build(DurableObjectConfig{});
  for (int i = 0; i < 5; ++i) Start(0, kPlain);
  q_.RunAll();
  ASSERT_EQ(out_.size(), 5u);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(out_[k].at, At(Ms(k + 1))) << k;
  EXPECT_EQ(metrics_.do_requests, 5u);
  EXPECT_EQ(probe_.constructions, 1);
}

TEST_F(DurableObjectSimTest, InputGateOpensWhileTheObjectAwaitsAFetch) {
  Build(DurableObjectConfig{});
  for (int i = 0; i < 3; ++i) Start(0, kSts);
  q_.RunAll();
  ASSERT_EQ(out_.size(), 3u);
  // Service segments run at 0-1, 1-2, 2-3 ms; the STS waits (100 ms) overlap.
  EXPECT_EQ(out_[0].at, At(Ms(101)));
  EXPECT_EQ(out_[1].at, At(Ms(102)));
  EXPECT_EQ(out_[2].at, At(Ms(103)));
  EXPECT_EQ(sts_.calls, 3);
}

TEST_F(DurableObjectSimTest, StorageOperationsCloseTheInputGate) {
  Build(DurableObjectConfig{});
  for (int i = 0; i < 3; ++i) Start(0, kPut);
  q_.RunAll();
  ASSERT_EQ(out_.size(), 3u);
  // Gate segments in FIFO order: service A, B, C (0-3 ms), then put A, B, C (3-6 ms).
  EXPECT_EQ(out_[0].at, At(Ms(4)));
  EXPECT_EQ(out_[1].at, At(Ms(5)));
  EXPECT_EQ(out_[2].at, At(Ms(6)));
  EXPECT_EQ(metrics_.do_storage_writes, 3u);
}

TEST_F(DurableObjectSimTest, SoftLimitRejectsAsOverloadedWithoutRetry) {
  DurableObjectConfig config;
  config.soft_limit_rps = 2;
  Build(config);
  Start(4, kPlain);  // placed at colo 4
  for (int i = 0; i < 4; ++i) Start(6, kPlain);  // RTT 20 ms
  q_.RunAll();
  ASSERT_EQ(out_.size(), 5u);
  int overloaded = 0;
  for (const Outcome& o : out_) {
    if (o.response.overloaded) {
      ++overloaded;
      EXPECT_EQ(o.response.status, FailureStatus::kUnavailable);
      EXPECT_EQ(o.at, At(Ms(20)));  // rejected on arrival, back after the RTT
    }
  }
  EXPECT_EQ(overloaded, 3);
  EXPECT_EQ(metrics_.do_overloaded, 3u);
  EXPECT_EQ(metrics_.do_requests, 2u);
  EXPECT_EQ(probe_.fetches, 2);  // rejected calls never reach the object, and are not retried

  q_.RunUntil(At(S(1)));  // the bucket refilled
  Start(4, kPlain);
  q_.RunAll();
  ASSERT_EQ(out_.size(), 6u);
  EXPECT_FALSE(out_[5].response.overloaded);
  EXPECT_EQ(metrics_.do_overloaded, 3u);
}

TEST_F(DurableObjectSimTest, FullQueueRejectsAsOverloaded) {
  DurableObjectConfig config;
  config.max_queue = 2;
  Build(config);
  for (int i = 0; i < 5; ++i) Start(0, kPlain);
  q_.RunAll();
  // The first takes the gate at once, two queue, two are rejected.
  EXPECT_EQ(metrics_.do_requests, 3u);
  EXPECT_EQ(metrics_.do_overloaded, 2u);
  EXPECT_EQ(probe_.fetches, 3);
}

TEST_F(DurableObjectSimTest, MemoryIsLostAfterIdleButStorageIsKept) {
  Build(DurableObjectConfig{});
  Start(0, kCount);  // service + get + put: done at 3 ms
  q_.RunUntil(At(S(5)));
  Start(0, kCount);  // done at 5.003 s
  q_.RunUntil(At(S(15) + Ms(3) - Duration::Nanos(1)));
  EXPECT_TRUE(platform_->InMemory(kKey));
  q_.RunUntil(At(S(15) + Ms(3)));  // 10 s idle since 5.003 s
  EXPECT_FALSE(platform_->InMemory(kKey));
  EXPECT_EQ(metrics_.do_evictions, 1u);
  q_.RunUntil(At(S(20)));
  Start(0, kCount);
  q_.RunUntil(At(S(25)));
  ASSERT_EQ(out_.size(), 3u);
  EXPECT_EQ(out_[0].response.credentials.id, 1001u);
  EXPECT_EQ(out_[1].response.credentials.id, 2002u);
  EXPECT_EQ(out_[2].response.credentials.id, 1003u);  // new instance, storage kept
  EXPECT_EQ(probe_.constructions, 2);
  EXPECT_EQ(platform_->instances_created(), 2u);
  EXPECT_EQ(metrics_.do_storage_reads, 3u);
  EXPECT_EQ(metrics_.do_storage_writes, 3u);

  // Active: first instance from 1 ms (built after the service time) to 15.003 s; the second
  // from 20.001 s to the end of the run.
  platform_->FinishRun(At(S(30)));
  EXPECT_NEAR(metrics_.do_active_seconds, 15.002 + 9.999, 1e-9);
  platform_->FinishRun(At(S(30)));  // idempotent
  EXPECT_NEAR(metrics_.do_active_seconds, 15.002 + 9.999, 1e-9);
}

TEST_F(DurableObjectSimTest, EvictAllDropsMemoryAndKeepsStorage) {
  Build(DurableObjectConfig{});
  Start(0, kCount);
  q_.RunUntil(At(S(1)));
  EXPECT_TRUE(platform_->InMemory(kKey));
  platform_->EvictAll(ex_.Now());
  EXPECT_FALSE(platform_->InMemory(kKey));
  EXPECT_EQ(metrics_.do_evictions, 1u);
  Start(0, kCount);
  q_.RunUntil(At(S(2)));
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[1].response.credentials.id, 1002u);
  EXPECT_EQ(probe_.constructions, 2);
}

TEST_F(DurableObjectSimTest, EvictAllLetsRunningCallsFinishOnTheOldInstance) {
  Build(DurableObjectConfig{});
  Start(0, kStsThenStore);  // in the object from 1 ms to 102 ms
  q_.RunUntil(At(Ms(50)));
  platform_->EvictAll(ex_.Now());
  EXPECT_FALSE(platform_->InMemory(kKey));
  Start(0, kPlain);  // a new instance serves new events
  q_.RunAll();
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[0].at, At(Ms(51)));   // the new instance's call
  EXPECT_EQ(out_[1].at, At(Ms(102)));  // the old instance finished its work
  EXPECT_EQ(out_[1].response.credentials.id, 1u);
  EXPECT_EQ(probe_.completed_fetches, 2);
  EXPECT_EQ(probe_.constructions, 2);
}

TEST_F(DurableObjectSimTest, AlarmFiresAtTheSetTimeAndRebuildsAnEvictedObject) {
  Build(DurableObjectConfig{});
  Start(0, kSetAlarm, 30);  // SetAlarm(1 ms + 30 s)
  q_.RunUntil(At(S(20)));
  EXPECT_FALSE(platform_->InMemory(kKey));  // evicted at 10.001 s
  q_.RunAll();
  // The alarm is delivered at 30.001 s and reaches Alarm() after the service time.
  EXPECT_EQ(probe_.alarm_times, std::vector<Time>{At(S(30) + Ms(2))});
  EXPECT_EQ(probe_.constructions, 2);
  EXPECT_EQ(metrics_.do_alarm_invocations, 1u);
  EXPECT_EQ(metrics_.do_requests, 2u);
  EXPECT_EQ(metrics_.do_alarm_failures, 0u);
  EXPECT_EQ(metrics_.do_storage_writes, 1u);  // setAlarm is billed as a write
}

TEST_F(DurableObjectSimTest, SetAlarmReplacesThePreviousAlarm) {
  Build(DurableObjectConfig{});
  Start(0, kSetAlarm, 30);
  q_.RunUntil(At(S(1)));
  Start(0, kSetAlarm, 5);  // replaces: fires at 1.001 + 5 s
  q_.RunAll();
  EXPECT_EQ(probe_.alarm_times, std::vector<Time>{At(S(6) + Ms(2))});
}

TEST_F(DurableObjectSimTest, FailingAlarmIsRetriedWithExponentialBackoffThenGivenUp) {
  DurableObjectConfig config;
  config.service_time = Distribution::Constant(0);
  Build(config);
  probe_.alarm_failures = 100;
  Start(0, kSetAlarm, 10);
  q_.RunAll();
  const std::vector<Time> expected = {At(S(10)), At(S(12)), At(S(16)), At(S(24)),
                                      At(S(40)), At(S(72)), At(S(136))};
  EXPECT_EQ(probe_.alarm_times, expected);
  EXPECT_EQ(metrics_.do_alarm_invocations, 7u);
  EXPECT_EQ(metrics_.do_alarm_failures, 1u);
  EXPECT_EQ(metrics_.do_requests, 1u + 7u);
}

TEST_F(DurableObjectSimTest, ThrowingAlarmIsRetriedUntilItSucceeds) {
  DurableObjectConfig config;
  config.service_time = Distribution::Constant(0);
  config.alarm_retry.max_retries = 2;
  Build(config);
  probe_.alarm_failures = 2;
  probe_.alarm_throws = true;
  Start(0, kSetAlarm, 10);
  q_.RunAll();
  const std::vector<Time> expected = {At(S(10)), At(S(12)), At(S(16))};
  EXPECT_EQ(probe_.alarm_times, expected);
  EXPECT_EQ(metrics_.do_alarm_failures, 0u);

  // One more failure than retries: given up after the second retry.
  probe_.alarm_times.clear();
  probe_.alarm_failures = 3;
  Start(0, kSetAlarm, 10);
  q_.RunAll();
  EXPECT_EQ(probe_.alarm_times.size(), 3u);
  EXPECT_EQ(metrics_.do_alarm_failures, 1u);
}

// workerd: a failing handler that set an alarm (1 s or 6 s ahead, i.e. before and after the 2 s
// retry) gets no retry; the alarm it set runs as a fresh invocation.
TEST_F(DurableObjectSimTest, FailingHandlerThatSetAnAlarmIsNotRetried) {
  for (int64_t ahead : {1, 6}) {
    SCOPED_TRACE(ahead);
    DurableObjectConfig config;
    config.service_time = Distribution::Constant(0);
    Build(config);
    probe_ = Probe();
    const uint64_t invocations = metrics_.do_alarm_invocations;
    const Time t0 = ex_.Now();
    probe_.alarm_failures = 1;
    probe_.alarm_throws = true;
    probe_.first_alarm_sets = S(ahead);
    Start(0, kSetAlarm, 10);
    q_.RunAll();
    EXPECT_EQ(probe_.alarm_times, (std::vector<Time>{t0 + S(10), t0 + S(10 + ahead)}));
    EXPECT_EQ(metrics_.do_alarm_invocations - invocations, 2u);
    EXPECT_EQ(metrics_.do_alarm_failures, 0u);
  }
}

// The alarm it set starts a new series: if it keeps failing it is retried from `initial`.
TEST_F(DurableObjectSimTest, TheAlarmSetByAFailingHandlerStartsANewSeries) {
  DurableObjectConfig config;
  config.service_time = Distribution::Constant(0);
  Build(config);
  probe_.alarm_failures = 100;
  probe_.first_alarm_sets = S(1);
  Start(0, kSetAlarm, 10);
  q_.RunAll();
  const std::vector<Time> expected = {At(S(10)), At(S(11)), At(S(13)), At(S(17)),
                                      At(S(25)), At(S(41)), At(S(73)), At(S(137))};
  EXPECT_EQ(probe_.alarm_times, expected);
  EXPECT_EQ(metrics_.do_alarm_failures, 1u);  // only the second series is given up
}

// set_alarm_cancels_retry = false: the old model, retried independently of the alarm set.
TEST_F(DurableObjectSimTest, WithoutSetAlarmCancelsRetryTheRetryAlsoRuns) {
  DurableObjectConfig config;
  config.service_time = Distribution::Constant(0);
  config.alarm_retry.set_alarm_cancels_retry = false;
  Build(config);
  probe_.alarm_failures = 1;
  probe_.first_alarm_sets = S(6);
  Start(0, kSetAlarm, 10);
  q_.RunAll();
  EXPECT_EQ(probe_.alarm_times, (std::vector<Time>{At(S(10)), At(S(12)), At(S(16))}));
}

// jitter: each retry delay is in [nominal, (1 + jitter) * nominal), drawn from the platform's
// stream (the same seed gives the same times); jitter 0 gives the exact delays (test above).
TEST_F(DurableObjectSimTest, AlarmRetryJitterLengthensDelaysDeterministically) {
  std::vector<Time> first;
  for (int run = 0; run < 2; ++run) {
    DurableObjectConfig config;
    config.service_time = Distribution::Constant(0);
    config.alarm_retry.jitter = 0.25;
    Build(config);
    probe_ = Probe();
    probe_.alarm_failures = 100;
    const Time t0 = ex_.Now();
    Start(0, kSetAlarm, 10);
    q_.RunAll();
    ASSERT_EQ(probe_.alarm_times.size(), 7u);
    for (Time& t : probe_.alarm_times) t = Time() + (t - t0);  // relative to the run's start
    bool any_late = false;
    for (size_t i = 1; i < probe_.alarm_times.size(); ++i) {
      const double nominal = 2.0 * static_cast<double>(int64_t{1} << (i - 1));
      const double delay = (probe_.alarm_times[i] - probe_.alarm_times[i - 1]).seconds();
      EXPECT_GE(delay, nominal) << i;
      EXPECT_LT(delay, 1.25 * nominal) << i;
      any_late = any_late || delay > nominal * 1.001;
    }
    EXPECT_TRUE(any_late);
    if (run == 0) {
      first = probe_.alarm_times;
    } else {
      EXPECT_EQ(probe_.alarm_times, first);
    }
  }
}

TEST_F(DurableObjectSimTest, CancellingTheCallerDoesNotCancelTheObjectsWork) {
  Build(DurableObjectConfig{});
  Start(2, kPlain);  // place the object at colo 2
  q_.RunAll();
  bool near_cancelled = false, far_cancelled = false;
  const Time t0 = ex_.Now();
  Start(2, kStsThenStore, 0, &near_cancelled);
  Start(6, kStsThenStore, 0, &far_cancelled);  // RTT 40 ms
  q_.RunUntil(t0 + Ms(10));  // the far call is still on its way to the object
  near_cancelled = far_cancelled = true;
  q_.RunAll();
  ASSERT_EQ(out_.size(), 3u);
  EXPECT_TRUE(out_[1].cancelled);
  EXPECT_TRUE(out_[2].cancelled);
  EXPECT_EQ(sts_.calls, 2);
  EXPECT_EQ(probe_.completed_fetches, 3);
  EXPECT_EQ(metrics_.do_storage_writes, 2u);
  Start(2, kGetStored);
  q_.RunAll();
  ASSERT_EQ(out_.size(), 4u);
  EXPECT_EQ(out_[3].response.credentials.id, 2u);  // the far call's credentials, stored last
}

TEST_F(DurableObjectSimTest, ExposureRunsFromPutUntilExpirationOrOverwrite) {
  Build(DurableObjectConfig{});
  Start(0, kStoreExpiring, 100);  // expires 100.001 s, stored at 2 ms
  q_.RunUntil(At(S(50)));
  Start(0, kStoreExpiring, 100);  // overwrites at 50.002 s, expires 150.001 s
  q_.RunUntil(At(S(60)));
  EXPECT_NEAR(metrics_.credential_seconds_at_rest, 50.0, 1e-9);
  EXPECT_EQ(metrics_.places_holding_credentials, 1u);
  platform_->FinishRun(At(S(120)));
  EXPECT_NEAR(metrics_.credential_seconds_at_rest, 50.0 + 69.998, 1e-9);
  platform_->FinishRun(At(S(120)));
  EXPECT_NEAR(metrics_.credential_seconds_at_rest, 50.0 + 69.998, 1e-9);
  EXPECT_EQ(metrics_.places_holding_credentials, 1u);
}

TEST_F(DurableObjectSimTest, ObjectFailuresBecomeErrorResponses) {
  Build(DurableObjectConfig{});
  Start(0, kThrow);
  q_.RunAll();
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_TRUE(out_[0].response.error);
  EXPECT_EQ(out_[0].response.status, FailureStatus::kUnavailable);
  EXPECT_FALSE(out_[0].response.overloaded);
}

TEST_F(DurableObjectSimTest, MissingObjectCodeGivesErrors) {
  Build(DurableObjectConfig{}, /*null_factory=*/true);
  Start(0, kPlain);
  q_.RunAll();
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_TRUE(out_[0].response.error);
  EXPECT_EQ(platform_->instances_created(), 0u);
}

TEST_F(DurableObjectSimTest, MetricsCountOnlyInsideTheWindow) {
  metrics_.measure_from = At(S(1));
  Build(DurableObjectConfig{});
  Start(0, kPlain);  // before the window: not counted
  q_.RunUntil(At(S(2)));
  EXPECT_EQ(metrics_.do_requests, 0u);
  Start(0, kPlain);
  q_.RunUntil(At(S(30)));
  EXPECT_EQ(metrics_.do_requests, 1u);
  EXPECT_EQ(metrics_.do_evictions, 1u);  // at 12.001 s, inside the window
  // In memory from 1 ms to 12.001 s, clipped to the window start.
  EXPECT_NEAR(metrics_.do_active_seconds, 11.001, 1e-9);
}

TEST_F(DurableObjectSimTest, SteadyCallsDoNotGrowTheFramePool) {
  Build(DurableObjectConfig{});
  out_.reserve(200);
  auto run = [&](int n) {
    for (int i = 0; i < n; ++i) {
      Start(3, kPlain);
      Start(5, kGetStored);
      q_.RunUntil(ex_.Now() + Ms(100));
    }
  };
  run(5);
  const size_t before = FramePoolHeapAllocations();
  run(50);
  EXPECT_EQ(FramePoolHeapAllocations(), before);
}

}  // namespace
}  // namespace credsim
