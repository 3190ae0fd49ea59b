#include "strategies/do_alarm_kv_strategy.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "strategies/testing/fake_ports.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{3, 0};
constexpr Duration kStsLatency = Duration::Millis(500);

Time At(Duration d) { return Time() + d; }

// Tests of exact alarm instants turn the refresh jitter off.
nlohmann::json NoJitter() { return nlohmann::json{{"alarm_jitter", "0s"}}; }

std::unique_ptr<Strategy> Make(const nlohmann::json& params) {
  JsonReader r(params, "params");
  absl::StatusOr<std::unique_ptr<Strategy>> s = DoAlarmKvStrategy::Create(r);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

std::string ParseError(const nlohmann::json& params) {
  JsonReader r(params, "params");
  absl::StatusOr<std::unique_ptr<Strategy>> s = DoAlarmKvStrategy::Create(r);
  return s.ok() ? "ok" : std::string(s.status().message());
}

Task<void> InitObject(FakeDurableObjectHost* host, CredentialKey key) {
  DoRequest request;
  request.key = key;
  request.op = kDoOpInit;
  (void)co_await host->RunFetch(request);
}

// Starts one request every `period` from `start` on, `n` times, into out[0..n).
Task<void> Traffic(CredentialProvider* p, Clock* clock, Duration start, Duration period,
                   RequestOutcome* out, int n) {
  co_await Sleep(*clock, start);
  for (int i = 0; i < n; ++i) {
    StartRequest(*p, kKey, &out[i], *clock);
    co_await Sleep(*clock, period);
  }
}

// A FakeEnv whose Durable Objects run the strategy's object code; the deployment prewarm
// (op init at t = 0) runs when the strategy asks for it.
struct World {
  explicit World(const nlohmann::json& params) : strategy(Make(params)) {
    env.sts.latency = kStsLatency;
    env.do_host.factory = [this](DurableObjectContext& ctx) {
      return strategy->NewDurableObject(ctx);
    };
    if (strategy->prewarm_durable_objects()) Spawn(InitObject(&env.do_host, kKey));
  }
  std::unique_ptr<CredentialProvider> Isolate(int colo) {
    IsolatePorts ports = env.Ports(colo);
    return strategy->NewProvider(ports);
  }
  AuthResult RunOne(CredentialProvider& p) {
    RequestOutcome out;
    StartRequest(p, kKey, &out, env.clock);
    env.RunFor(Duration::Seconds(5));
    EXPECT_EQ(out.kind, RequestOutcome::Kind::kResult);
    return out.result;
  }
  std::optional<Credentials> Kv(int colo) { return env.kv_store.Read(colo, kKey).value; }

  FakeEnv env;
  std::unique_ptr<Strategy> strategy;
};

// Defining property: with the alarm refresher healthy, no request waits on STS across several
// credential lifetimes, and STS sees exactly one call per refresh.
TEST(DoAlarmKvTest, NoRequestWaitsOnStsAcrossSeveralLifetimes) {
  World w(NoJitter());
  constexpr int kColos = 4, kIsolatesPerColo = 2;
  constexpr Duration kStart = Duration::Minutes(2);  // after the prewarm has propagated
  constexpr Duration kEnd = Duration::Minutes(3 * 60 + 25);
  constexpr Duration kPeriod = Duration::Seconds(5);
  const int per_isolate = static_cast<int>((kEnd - kStart - Duration::Seconds(10)) / kPeriod);
  std::vector<std::unique_ptr<CredentialProvider>> isolates;
  for (int c = 0; c < kColos; ++c) {
    for (int i = 0; i < kIsolatesPerColo; ++i) isolates.push_back(w.Isolate(c));
  }
  std::vector<RequestOutcome> out(isolates.size() * per_isolate);
  for (size_t i = 0; i < isolates.size(); ++i) {
    Spawn(Traffic(isolates[i].get(), &w.env.clock, kStart + Duration::Millis(613) * i, kPeriod,
                  &out[i * per_isolate], per_isolate));
  }
  w.env.RunUntil(At(kEnd));

  const OutcomeCounts counts = Count(out);
  EXPECT_EQ(counts.pending, 0);
  EXPECT_EQ(counts.ok, static_cast<int>(out.size()));
  EXPECT_EQ(counts.by_source[static_cast<int>(Tier::kSts)], 0);
  EXPECT_EQ(counts.by_source[static_cast<int>(Tier::kDurableObject)], 0);
  EXPECT_GT(counts.by_source[static_cast<int>(Tier::kKv)], 0);
  Duration max_latency;
  for (const RequestOutcome& o : out) max_latency = std::max(max_latency, o.finished - o.started);
  EXPECT_LT(max_latency, kStsLatency);
  // Never served an expired credential.
  for (const RequestOutcome& o : out) {
    ASSERT_GT(o.result.credentials.expiration, o.finished);
  }
  // Prewarm at 0, then refreshes at E - 10 min: ~50m, ~1h40m, ~2h30m, ~3h20m.
  EXPECT_EQ(w.env.do_host.alarms_run, 4);
  EXPECT_EQ(w.env.sts.calls, 1 + w.env.do_host.alarms_run);
  ASSERT_EQ(w.env.sts.call_times.size(), 5u);
  for (size_t i = 1; i < w.env.sts.call_times.size(); ++i) {
    const Duration gap = w.env.sts.call_times[i] - w.env.sts.call_times[i - 1];
    EXPECT_GT(gap, Duration::Minutes(49));
    EXPECT_LT(gap, Duration::Minutes(51));
  }
  EXPECT_EQ(w.env.kv_store.rate_limited, 0);
}

TEST(DoAlarmKvTest, PrewarmWritesKvAndArmsTheAlarm) {
  World w(NoJitter());
  w.env.RunFor(Duration::Seconds(2));
  ASSERT_TRUE(w.Kv(0).has_value());
  EXPECT_EQ(w.Kv(0)->id, 1u);
  // expirationTtl = E - now - 2m, taken 1 ms after the mint (the storage put comes first).
  EXPECT_EQ(w.env.kv_store.last_expiration_ttl,
            Duration::Hours(1) - Duration::Minutes(2) - Duration::Millis(1));
  ASSERT_TRUE(w.env.do_host.alarm(kKey).has_value());
  EXPECT_EQ(*w.env.do_host.alarm(kKey), w.env.sts.last_issued.expiration - Duration::Minutes(10));
  // Other colos see it after propagation.
  EXPECT_FALSE(w.Kv(1).has_value());
  w.env.RunFor(Duration::Seconds(60));
  EXPECT_TRUE(w.Kv(1).has_value());
}

TEST(DoAlarmKvTest, FailedAlarmIsRetriedAndTheChainContinues) {
  World w(NoJitter());
  w.env.RunFor(Duration::Minutes(1));
  ASSERT_EQ(w.env.sts.successes, 1);
  const Time first_refresh = w.env.sts.last_issued.expiration - Duration::Minutes(10);
  w.env.sts.next_errors = {StsError::kIdpCommunication, StsError::kIdpCommunication,
                           StsError::kIdpCommunication};
  w.env.RunUntil(first_refresh + Duration::Minutes(1));
  // Attempts at +0, +2 s, +4 s (after each 0.5 s failure) fail; the one after +8 s succeeds.
  EXPECT_EQ(w.env.do_host.alarms_run, 4);
  EXPECT_EQ(w.env.sts.calls, 5);
  EXPECT_EQ(w.env.sts.successes, 2);
  ASSERT_TRUE(w.Kv(0).has_value());
  EXPECT_EQ(w.Kv(0)->id, w.env.sts.last_issued.id);
  ASSERT_TRUE(w.env.do_host.alarm(kKey).has_value());
  EXPECT_EQ(*w.env.do_host.alarm(kKey), w.env.sts.last_issued.expiration - Duration::Minutes(10));
  // The next lifetime is refreshed too.
  w.env.RunUntil(first_refresh + Duration::Minutes(55));
  EXPECT_EQ(w.env.sts.successes, 3);
}

// The handler re-arms itself on failure, so the chain survives the platform giving up on its
// retries (or never retrying a handler that re-armed itself).
class DoAlarmKvOutageTest : public testing::TestWithParam<int> {};

TEST_P(DoAlarmKvOutageTest, ChainSurvivesAnOutageLongerThanThePlatformRetries) {
  World w(NoJitter());
  w.env.do_host.alarm_max_retries = GetParam();
  w.env.queue.Schedule(At(Duration::Minutes(49)), [&w] { w.env.sts.error = StsError::kOutage; });
  w.env.queue.Schedule(At(Duration::Minutes(54)), [&w] { w.env.sts.error = StsError::kNone; });
  w.env.RunUntil(At(Duration::Minutes(59)));
  EXPECT_GT(w.env.sts.calls - w.env.sts.successes, 1);  // several failed attempts
  EXPECT_EQ(w.env.sts.successes, 2);                     // then a refresh after the outage
  const Credentials second = w.env.sts.last_issued;
  EXPECT_GE(second.issued_at, At(Duration::Minutes(54)));
  ASSERT_TRUE(w.Kv(0).has_value());
  EXPECT_EQ(w.Kv(0)->id, second.id);
  // ... and the chain goes on: the next refresh happens at its regular time.
  w.env.RunUntil(second.expiration - Duration::Minutes(9));
  EXPECT_EQ(w.env.sts.successes, 3);
  EXPECT_GE(w.env.sts.last_issued.issued_at, second.expiration - Duration::Minutes(10));
}

INSTANTIATE_TEST_SUITE_P(PlatformRetries, DoAlarmKvOutageTest, testing::Values(6, 0));

TEST(DoAlarmKvTest, AlarmOnAFreshInstanceRefreshesFromTheStoredDirectory) {
  World w(NoJitter());
  w.env.RunFor(Duration::Minutes(1));
  w.env.do_host.Evict(kKey);  // memory lost; storage and alarm survive
  w.env.RunUntil(At(Duration::Minutes(51)));
  EXPECT_EQ(w.env.do_host.instances_created, 2);
  EXPECT_EQ(w.env.sts.successes, 2);
  ASSERT_TRUE(w.Kv(0).has_value());
  EXPECT_EQ(w.Kv(0)->id, 2u);
  ASSERT_TRUE(w.env.do_host.alarm(kKey).has_value());
  EXPECT_EQ(*w.env.do_host.alarm(kKey), w.env.sts.last_issued.expiration - Duration::Minutes(10));
}

Task<void> CallObject(DurableObject* object, CredentialKey key) {
  DoRequest request;
  request.key = key;
  request.op = kDoOpGet;
  (void)co_await object->Fetch(request);
}

// One object per role serves several sessions; after its memory is lost, the alarm finds both
// keys through the directory it keeps in storage and refreshes both.
TEST(DoAlarmKvTest, OneObjectRefreshesEveryKeyItServesAfterMemoryLoss) {
  World w(nlohmann::json{{"prewarm", false}, {"alarm_jitter", "0s"}});
  constexpr CredentialKey kSession0{3, 0}, kSession1{3, 1};
  DurableObject& object = w.env.do_host.instance(kSession0);
  Spawn(CallObject(&object, kSession0));
  Spawn(CallObject(&object, kSession1));
  w.env.RunFor(Duration::Seconds(2));
  EXPECT_EQ(w.env.sts.successes, 2);
  ASSERT_TRUE(w.env.kv_store.Read(0, kSession1).value.has_value());
  const uint64_t first_ids = w.env.kv_store.Read(0, kSession0).value->id +
                             w.env.kv_store.Read(0, kSession1).value->id;
  EXPECT_EQ(first_ids, 1u + 2u);
  w.env.do_host.Evict(kSession0);
  w.env.RunUntil(At(Duration::Minutes(51)));
  EXPECT_EQ(w.env.do_host.instances_created, 2);
  EXPECT_EQ(w.env.sts.successes, 4);
  EXPECT_EQ(w.env.kv_store.Read(0, kSession0).value->id + w.env.kv_store.Read(0, kSession1).value->id,
            3u + 4u);
}

TEST(DoAlarmKvTest, FreshInstanceServesFromStorageWithoutSts) {
  World w(nlohmann::json{{"fallback", "do"}});
  w.env.RunFor(Duration::Minutes(2));
  w.env.do_host.Evict(kKey);
  w.env.kv_store.get_error = true;  // force the fallback to the object
  auto a = w.Isolate(1);
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.status, FailureStatus::kOk);
  EXPECT_EQ(r.source, Tier::kDurableObject);
  EXPECT_EQ(r.credentials.id, 1u);
  EXPECT_EQ(w.env.sts.calls, 1);
  EXPECT_EQ(w.env.do_host.instances_created, 2);
}

TEST(DoAlarmKvTest, FallbackDoMintsOnceAndFillsKv) {
  World w(nlohmann::json{{"prewarm", false}, {"fallback", "do"}});
  auto a = w.Isolate(0);
  auto b = w.Isolate(0);
  std::vector<RequestOutcome> out(6);
  for (int i = 0; i < 6; ++i) StartRequest(i % 2 ? *a : *b, kKey, &out[i], w.env.clock);
  w.env.RunFor(Duration::Seconds(5));
  const OutcomeCounts counts = Count(out);
  EXPECT_EQ(counts.ok, 6);
  EXPECT_EQ(counts.by_source[static_cast<int>(Tier::kDurableObject)], 6);
  EXPECT_EQ(w.env.sts.calls, 1);
  ASSERT_TRUE(w.Kv(0).has_value());
  auto c = w.Isolate(0);
  EXPECT_EQ(w.RunOne(*c).source, Tier::kKv);
  EXPECT_TRUE(w.env.do_host.alarm(kKey).has_value());
}

TEST(DoAlarmKvTest, FallbackStsCallsStsFromTheIsolate) {
  World w(nlohmann::json{{"prewarm", false}, {"fallback", "sts"}});
  auto a = w.Isolate(0);
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.status, FailureStatus::kOk);
  EXPECT_EQ(r.source, Tier::kSts);
  EXPECT_EQ(w.env.sts.calls, 1);
  EXPECT_EQ(w.env.do_host.fetches, 0);
  EXPECT_FALSE(w.Kv(0).has_value());
}

TEST(DoAlarmKvTest, FallbackFailAnswers503) {
  World w(nlohmann::json{{"prewarm", false}, {"fallback", "fail"}});
  auto a = w.Isolate(0);
  EXPECT_EQ(w.RunOne(*a).status, FailureStatus::kUnavailable);
  EXPECT_EQ(w.env.sts.calls, 0);
  EXPECT_EQ(w.env.do_host.fetches, 0);
}

TEST(DoAlarmKvTest, KvValueTooCloseToExpiryIsNotUsed) {
  World w(nlohmann::json{{"prewarm", false}, {"fallback", "fail"}});
  Credentials old;
  old.id = 99;
  old.issued_at = w.env.Now();
  old.expiration = w.env.Now() + Duration::Seconds(100);  // < kv_min_remaining (2 min)
  w.env.kv_store.Write(0, kKey, old, Duration::Minutes(5));
  auto a = w.Isolate(0);
  EXPECT_EQ(w.RunOne(*a).status, FailureStatus::kUnavailable);
  old.expiration = w.env.Now() + Duration::Seconds(200);
  w.env.kv_store.Write(0, kKey, old, Duration::Minutes(5));
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.source, Tier::kKv);
  EXPECT_EQ(r.credentials.id, 99u);
}

TEST(DoAlarmKvTest, ObjectOverloadWithFallbackDoAnswers503) {
  World w(nlohmann::json{{"prewarm", false}, {"fallback", "do"}});
  w.env.colo(0).durable_objects.overloaded = true;
  auto a = w.Isolate(0);
  EXPECT_EQ(w.RunOne(*a).status, FailureStatus::kUnavailable);
  EXPECT_EQ(w.env.sts.calls, 0);
  EXPECT_EQ(w.env.colo(0).durable_objects.calls, 1);
}

TEST(DoAlarmKvTest, RevocationAppliesToKvAndTheObject) {
  World w(nlohmann::json{{"fallback", "do"},
                         {"revocation", {{"enabled", true}, {"poll_interval", "1s"}}}});
  w.env.RunFor(Duration::Minutes(2));
  auto a = w.Isolate(0);
  ASSERT_EQ(w.RunOne(*a).credentials.id, 1u);
  w.env.feed.Publish(RevocationEvent{kKey.role, w.env.Now()});
  w.env.RunFor(Duration::Seconds(5));
  // L1 and KV hold id 1, the object too: the isolate rejects both and the object replaces it.
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.status, FailureStatus::kOk);
  EXPECT_EQ(r.source, Tier::kDurableObject);
  EXPECT_EQ(r.credentials.id, 2u);
  EXPECT_EQ(w.env.sts.calls, 2);
  // The object wrote the replacement to KV: another isolate of the colo reads it there.
  auto b = w.Isolate(0);
  const AuthResult kv = w.RunOne(*b);
  EXPECT_EQ(kv.source, Tier::kKv);
  EXPECT_EQ(kv.credentials.id, 2u);
  EXPECT_EQ(w.env.sts.calls, 2);
}

TEST(DoAlarmKvTest, WithoutRevocationTheRevokedCredentialIsStillServedFromKv) {
  World w(nlohmann::json::object());
  w.env.RunFor(Duration::Minutes(2));
  w.env.feed.Publish(RevocationEvent{kKey.role, w.env.Now()});
  auto a = w.Isolate(0);
  const AuthResult r = w.RunOne(*a);
  EXPECT_EQ(r.source, Tier::kKv);
  EXPECT_EQ(r.credentials.id, 1u);
}

// Issue 11 item 6: the ADR's request path only reads KV and never contacts the object. By
// default a KV miss is a 503, without an object call or an STS call from the isolate (the old
// default, fallback "do", asked the object).
TEST(DoAlarmKvTest, DefaultRequestPathNeverContactsTheObject) {
  World w(nlohmann::json{{"prewarm", false}});
  auto a = w.Isolate(0);
  EXPECT_EQ(w.RunOne(*a).status, FailureStatus::kUnavailable);
  EXPECT_EQ(w.env.colo(0).durable_objects.calls, 0);
  EXPECT_EQ(w.env.do_host.fetches, 0);
  EXPECT_EQ(w.env.sts.calls, 0);
  // With the prewarm, KV serves; a KV read error is a 503, still without the object.
  World p(nlohmann::json::object());
  p.env.RunFor(Duration::Minutes(2));
  const int prewarm_fetches = p.env.do_host.fetches;
  auto b = p.Isolate(1);
  EXPECT_EQ(p.RunOne(*b).source, Tier::kKv);
  p.env.kv_store.get_error = true;
  auto c = p.Isolate(1);
  EXPECT_EQ(p.RunOne(*c).status, FailureStatus::kUnavailable);
  EXPECT_EQ(p.env.colo(1).durable_objects.calls, 0);
  EXPECT_EQ(p.env.do_host.fetches, prewarm_fetches);
  EXPECT_EQ(p.env.sts.calls, 1);  // the prewarm only
}

// Alarm jitter: objects prewarmed in the same instant refresh at E - alarm_lead - U * jitter,
// U a deterministic draw per (key, credential), not all in the same second (the old alarms
// all fired at E - 10 min).
TEST(DoAlarmKvTest, AlarmJitterSpreadsRefreshesOfObjectsPrewarmedTogether) {
  constexpr int kRoles = 50;
  std::vector<Duration> before_expiry[2];
  for (int run = 0; run < 2; ++run) {
    World w(nlohmann::json{{"prewarm", false}});
    for (uint32_t r = 0; r < kRoles; ++r) Spawn(InitObject(&w.env.do_host, CredentialKey{r, 0}));
    w.env.RunFor(Duration::Seconds(2));
    ASSERT_EQ(w.env.sts.successes, kRoles);
    for (uint32_t r = 0; r < kRoles; ++r) {
      const CredentialKey key{r, 0};
      const std::optional<Credentials> kv = w.env.kv_store.Read(0, key).value;
      const std::optional<Time> alarm = w.env.do_host.alarm(key);
      ASSERT_TRUE(kv.has_value() && alarm.has_value()) << r;
      const Duration lead = kv->expiration - *alarm;
      EXPECT_GE(lead, Duration::Minutes(10)) << r;
      EXPECT_LE(lead, Duration::Minutes(15)) << r;
      EXPECT_EQ(lead, Duration::Minutes(10) + Duration::Nanos(static_cast<int64_t>(
                                                  AlarmJitterFraction(key, kv->id) *
                                                  Duration::Minutes(5).nanos())))
          << r;
      before_expiry[run].push_back(lead);
    }
  }
  EXPECT_EQ(before_expiry[0], before_expiry[1]);  // deterministic
  std::vector<Duration> sorted = before_expiry[0];
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GT(sorted.back() - sorted.front(), Duration::Minutes(4));
  // No second holds more than a few of the 50 refreshes.
  int max_per_second = 0;
  for (size_t i = 0, j = 0; i < sorted.size(); ++i) {
    while (sorted[i] - sorted[j] >= Duration::Seconds(1)) ++j;
    max_per_second = std::max(max_per_second, static_cast<int>(i - j + 1));
  }
  EXPECT_LE(max_per_second, 4);
  // A new credential of the same key draws anew.
  EXPECT_NE(AlarmJitterFraction(kKey, 1), AlarmJitterFraction(kKey, 2));
  for (uint64_t id = 1; id < 1000; ++id) {
    const double u = AlarmJitterFraction(kKey, id);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

// The deployment prewarms every (role, session): the role's object accepts an init for any
// session, mints for each and writes each to KV; its single alarm covers all of them.
TEST(DoAlarmKvTest, ObjectAcceptsAnInitForAnySession) {
  World w(nlohmann::json{{"prewarm", false}});
  DurableObject& object = w.env.do_host.instance(CredentialKey{3, 0});
  for (uint32_t session = 0; session < 4; ++session) {
    DoRequest request;
    request.key = CredentialKey{3, session};
    request.op = kDoOpInit;
    Spawn([](DurableObject* o, DoRequest r) -> Task<void> {
      (void)co_await o->Fetch(r);
    }(&object, request));
  }
  w.env.RunFor(Duration::Seconds(2));
  EXPECT_EQ(w.env.sts.successes, 4);
  Time earliest = Time::Infinite();
  for (uint32_t session = 0; session < 4; ++session) {
    const std::optional<Credentials> kv = w.env.kv_store.Read(0, CredentialKey{3, session}).value;
    ASSERT_TRUE(kv.has_value()) << session;
    earliest = std::min(earliest, kv->expiration - Duration::Minutes(10) -
                                      Duration::Nanos(static_cast<int64_t>(
                                          AlarmJitterFraction(CredentialKey{3, session}, kv->id) *
                                          Duration::Minutes(5).nanos())));
  }
  ASSERT_TRUE(w.env.do_host.alarm(CredentialKey{3, 0}).has_value());
  EXPECT_EQ(*w.env.do_host.alarm(CredentialKey{3, 0}), earliest);
}

TEST(DoAlarmKvTest, AlarmJitterOutsideItsRangeIsRejectedWithPath) {
  const std::string e = ParseError({{"alarm_jitter", "12h1s"}});
  EXPECT_NE(e.find("params.alarm_jitter: must be in [0s, 12h]; got 12h1s"), std::string::npos)
      << e;
  EXPECT_NE(ParseError({{"alarm_jitter", "-1s"}}).find("params.alarm_jitter"),
            std::string::npos);  // the reader rejects negative durations
  EXPECT_EQ(ParseError({{"alarm_jitter", "0s"}}), "ok");
  EXPECT_EQ(ParseError({{"alarm_jitter", "12h"}}), "ok");
}

TEST(DoAlarmKvTest, ParsesAndRoundTripsParams) {
  auto s = Make({{"alarm_lead", "15m"},
                 {"failure_rearm", "4m"},
                 {"cache_ttl", "30s"},
                 {"kv_min_remaining", "3m"},
                 {"kv_expiry_margin", "90s"},
                 {"fallback", "sts"},
                 {"prewarm", false},
                 {"variant", "v1"}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind(), "do_alarm_kv");
  EXPECT_FALSE(s->prewarm_durable_objects());
  const nlohmann::json p = s->params();
  EXPECT_EQ(p["alarm_lead"], "15m");
  EXPECT_EQ(p["cache_ttl"], "30s");
  EXPECT_EQ(p["kv_expiry_margin"], "1m30s");
  EXPECT_EQ(p["fallback"], "sts");
  EXPECT_EQ(p["variant"], "v1");
  auto again = Make(p);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->params(), p);
  auto defaults = Make(nlohmann::json::object());
  EXPECT_TRUE(defaults->prewarm_durable_objects());
  const nlohmann::json d = defaults->params();
  EXPECT_EQ(d["alarm_lead"], "10m");
  EXPECT_EQ(d["failure_rearm"], "3m");
  EXPECT_EQ(d["cache_ttl"], "1m");
  EXPECT_EQ(d["kv_min_remaining"], "2m");
  EXPECT_EQ(d["fallback"], "fail");
  EXPECT_EQ(d["alarm_jitter"], "5m");
  EXPECT_EQ(d["variant"], "v2");
}

// Both intervals set alarms (events); a tiny failure_rearm would spin the alarm while STS is
// down, a lead below 1 s cannot cover one STS call.
TEST(DoAlarmKvTest, AlarmIntervalsBelowOneSecondAreRejectedWithPathAndRange) {
  for (const char* key : {"alarm_lead", "failure_rearm"}) {
    for (const char* v : {"0s", "999ms", "1ns"}) {
      const std::string e = ParseError({{key, v}});
      EXPECT_NE(e.find(std::string("params.") + key + ": must be >= 1s; got "), std::string::npos)
          << key << "=" << v << ": " << e;
    }
    EXPECT_EQ(ParseError({{key, "1s"}}), "ok") << key;
  }
}

TEST(DoAlarmKvTest, ParseErrorsNameThePath) {
  EXPECT_NE(ParseError({{"fallback", "retry"}}).find("params.fallback"), std::string::npos);
  EXPECT_NE(ParseError({{"cache_ttl", "10s"}}).find("params.cache_ttl"), std::string::npos);
  EXPECT_NE(ParseError({{"alarm_lead", "0s"}}).find("params.alarm_lead"), std::string::npos);
  EXPECT_NE(ParseError({{"prewarm", "yes"}}).find("params.prewarm"), std::string::npos);
  EXPECT_NE(ParseError({{"revocation", {{"poll_interval", "0s"}}}})
                .find("params.revocation.poll_interval"),
            std::string::npos);
  const std::string unknown = ParseError({{"lead", "1m"}});
  EXPECT_NE(unknown.find("params.lead: unknown key"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("alarm_lead"), std::string::npos) << unknown;
}

}  // namespace
}  // namespace credsim
