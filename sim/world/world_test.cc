#include "sim/world/world.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/world/durable_object_sim.h"

namespace credsim {
namespace {

// A strategy that calls STS on every request (enough to drive the world).
class DirectStrategy final : public Strategy {
 public:
  std::string_view kind() const override { return "direct"; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    ++providers;
    return std::make_unique<Provider>(ports);
  }
  int providers = 0;

 private:
  class Provider final : public CredentialProvider {
   public:
    explicit Provider(IsolatePorts& p) : p_(p) {}
    Task<AuthResult> GetCredentials(AuthRequest r) override {
      StsResult s = co_await p_.sts.AssumeRoleWithWebIdentity(r.key);
      co_return AuthResult{StatusFor(s.error), s.credentials, Tier::kSts};
    }

   private:
    IsolatePorts& p_;
  };
};

WorldConfig SmallWorld() {
  WorldConfig w;
  w.seed = 3;
  w.warmup = Duration();
  w.duration = Duration::Minutes(30);
  w.colos.count = 4;
  w.traffic.roles = 3;
  w.traffic.rate = 2;
  w.sts.latency = Distribution::Constant(0.1);
  w.sts.stall_probability = 0;
  w.isolates.cold_start = Distribution::Constant(0.01);
  return w;
}

TEST(WorldTest, EveryArrivalIsRecordedOnceAndRunsAreDeterministic) {
  WorldConfig w = SmallWorld();
  DirectStrategy s1, s2;
  World a(w, nullptr, s1), b(w, nullptr, s2);
  const RunMetrics& ma = a.Run();
  const RunMetrics& mb = b.Run();
  EXPECT_GT(ma.requests, 3000u);
  EXPECT_EQ(ma.requests, mb.requests);
  EXPECT_EQ(ma.sts_calls, ma.requests);  // one call per request
  EXPECT_EQ(ma.auth_latency.count(), ma.requests);
  EXPECT_EQ(ma.auth_latency.Percentile(0.5), mb.auth_latency.Percentile(0.5));
}

TEST(WorldTest, HugeSampledTimesDoNotOverflowTheClock) {
  // A hazard rate of 1e-12/h draws deaths ~1e12 h ahead (saturated at Duration::Infinite);
  // idle times and cold starts sampled past the end of the run never happen in it. Adding
  // them to now() used to overflow int64 (UB; caught by -fsanitize=undefined).
  WorldConfig w = SmallWorld();
  w.isolates.random_evictions_per_hour = 1e-12;
  w.isolates.idle_eviction = Distribution::Constant(1e30);
  DirectStrategy s;
  World world(w, nullptr, s);
  const RunMetrics& m = world.Run();
  EXPECT_GT(m.requests, 3000u);
  EXPECT_EQ(m.cold_starts, 4u);  // one isolate per colo, never evicted

  WorldConfig never_ready = SmallWorld();
  never_ready.isolates.cold_start = Distribution::Constant(1e30);
  never_ready.workers.edge_timeout = Duration::Seconds(30);
  DirectStrategy s2;
  World cold(never_ready, nullptr, s2);
  const RunMetrics& mc = cold.Run();
  EXPECT_EQ(mc.errors[RunMetrics::ErrorIndex(503)], mc.requests);  // all wait, all time out
}

TEST(WorldTest, IdleEvictionIsPostponedByTrafficAndFiresWhenIdle) {
  WorldConfig w = SmallWorld();
  w.colos.count = 1;
  w.traffic.rate = 1;  // gaps of ~1 s
  w.isolates.idle_eviction = Distribution::Constant(120);
  w.duration = Duration::Minutes(10);
  DirectStrategy s;
  World world(w, nullptr, s);
  world.Run();
  // Traffic never pauses for 2 minutes: one isolate for the whole run.
  EXPECT_EQ(world.isolates_created(), 1u);

  WorldConfig sparse = w;
  sparse.traffic.rate = 1.0 / 600;  // one request every ~10 minutes
  sparse.duration = Duration::Hours(20);
  DirectStrategy s2;
  World w2(sparse, nullptr, s2);
  const RunMetrics& m = w2.Run();
  // Almost every request finds its isolate evicted (P(gap < 2 min) ~ 18 %).
  EXPECT_GT(w2.isolates_created(), m.requests / 2);
  EXPECT_LT(w2.isolates_created(), m.requests);
  EXPECT_EQ(m.cold_starts, w2.isolates_created());
}

TEST(WorldTest, DeployRecyclesEveryIsolate) {
  WorldConfig w = SmallWorld();
  w.colos.count = 5;
  w.colos.servers_per_colo = 2;
  w.traffic.rate = 200;  // every server busy
  w.isolates.idle_eviction = Distribution::Constant(3600);
  w.isolates.restarts = {Duration::Minutes(10)};
  DirectStrategy s;
  World world(w, nullptr, s);
  world.Run();
  EXPECT_EQ(world.isolates_created(), 20u);  // 10 servers, each recycled once
  EXPECT_EQ(s.providers, 20);
}

TEST(WorldTest, ColdStartsMakeColdRequests) {
  WorldConfig w = SmallWorld();
  w.colos.count = 1;
  w.colos.servers_per_colo = 1;  // fixed: 100 req/s would otherwise spread over 4 servers
  w.traffic.rate = 100;
  w.isolates.cold_start = Distribution::Constant(1.0);  // 1 s start: ~100 requests wait
  w.duration = Duration::Seconds(60);
  DirectStrategy s;
  World world(w, nullptr, s);
  const RunMetrics& m = world.Run();
  EXPECT_EQ(m.cold_starts, 1u);
  EXPECT_NEAR(static_cast<double>(m.cold_requests), 100, 35);
}

TEST(WorldTest, EdgeTimeoutAnswers503AndCancelsTheChain) {
  WorldConfig w = SmallWorld();
  w.sts.latency = Distribution::Constant(5);
  w.sts.timeout = Duration::Seconds(60);
  w.workers.edge_timeout = Duration::Seconds(2);
  DirectStrategy s;
  World world(w, nullptr, s);
  const RunMetrics& m = world.Run();
  EXPECT_EQ(m.errors[RunMetrics::ErrorIndex(503)], m.requests);
  EXPECT_EQ(m.edge_timeouts, m.requests);
  EXPECT_EQ(m.auth_latency.max(), Duration::Seconds(2).nanos());
}

TEST(WorldTest, ExpiredCredentialsAreRejected) {
  WorldConfig w = SmallWorld();
  w.sts.credential_duration = Duration::Seconds(900);
  w.sts.latency = Distribution::Constant(0.1);
  DirectStrategy s;
  World world(w, nullptr, s);
  const RunMetrics& m = world.Run();
  EXPECT_EQ(m.expired_credential_uses, 0u);  // fresh credentials every time
}

// A strategy whose isolates keep the first credential forever, until AWS rejects it as revoked
// (OnCredentialRejected); expired ones are kept too, so AWS sees them.
class KeepForeverStrategy final : public Strategy {
 public:
  std::string_view kind() const override { return "keep"; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    return std::make_unique<Provider>(ports, rejected);
  }
  int rejected = 0;

 private:
  class Provider final : public CredentialProvider {
   public:
    Provider(IsolatePorts& p, int& rejected) : p_(p), rejected_(rejected) {}
    Task<AuthResult> GetCredentials(AuthRequest r) override {
      if (!held_.valid()) held_ = (co_await p_.sts.AssumeRoleWithWebIdentity(r.key)).credentials;
      co_return AuthResult{FailureStatus::kOk, held_, Tier::kL1};
    }
    void OnCredentialRejected(CredentialKey, const Credentials& c) override {
      ++rejected_;
      if (c.id == held_.id) held_ = Credentials{};
    }

   private:
    IsolatePorts& p_;
    int& rejected_;
    Credentials held_;
  };
};

TEST(WorldTest, AwsRejectsRevokedAndExpiredCredentialsWith403) {
  WorldConfig w = SmallWorld();
  w.colos.count = 1;
  w.traffic.rate = 0;
  w.isolates.evict_when_idle = false;
  w.sts.credential_duration = Duration::Seconds(900);
  w.revocation.events.push_back(RevocationEvent{0, Time() + Duration::Seconds(60)});
  KeepForeverStrategy s;
  World world(w, nullptr, s);
  const Arrival a{0, 0, 0, 0};
  for (int t : {1, 120, 121, 1200}) {
    world.queue().Schedule(Time() + Duration::Seconds(t), [&world, a] { world.OnArrival(a); });
  }
  const RunMetrics& m = world.Run();
  // t=1: fresh (200); t=120: revoked at 60 (403, dropped); t=121: refetched (200); t=1200:
  // the refetched credential expired at ~1021 and is kept (403, not reported as revoked).
  EXPECT_EQ(m.requests, 4u);
  EXPECT_EQ(m.revoked_credential_uses, 1u);
  EXPECT_EQ(m.expired_credential_uses, 1u);
  EXPECT_EQ(m.errors[RunMetrics::ErrorIndex(403)], 2u);
  EXPECT_EQ(m.served_from[static_cast<int>(Tier::kL1)], 2u);
  EXPECT_EQ(s.rejected, 1);
  EXPECT_EQ(m.sts_calls, 2u);
}

// ---- Idle eviction per idle period (issue 11 item 1) --------------------------------------

// A world with no generated traffic: the test schedules its own arrivals.
WorldConfig QuietWorld(int colos) {
  WorldConfig w = SmallWorld();
  w.colos.count = colos;
  w.traffic.rate = 0;
  w.isolates.cold_start = Distribution::Constant(0);
  return w;
}

void ArriveAt(World& world, Time at, Arrival a) {
  world.queue().Schedule(at, [&world, a] { world.OnArrival(a); });
}

TEST(WorldTest, IdleTimeoutRestartsAtEveryArrival) {
  constexpr double kT = 60;
  WorldConfig w = QuietWorld(1);
  w.isolates.idle_eviction = Distribution::Constant(kT);
  DirectStrategy s;
  World world(w, nullptr, s);
  // Gaps just below T keep the isolate; a gap just above T finds it evicted.
  const Duration below = Duration::Seconds(60) - Duration::Millis(1);
  const Duration above = Duration::Seconds(60) + Duration::Millis(1);
  Time t = Time() + Duration::Seconds(1);
  for (Duration gap : {Duration(), below, below, above, below, above, above}) {
    t = t + gap;
    ArriveAt(world, t, Arrival{});
  }
  const RunMetrics& m = world.Run();
  EXPECT_EQ(m.requests, 7u);
  EXPECT_EQ(world.isolates_created(), 4u);  // the first arrival and the three after `above`
  EXPECT_EQ(m.cold_starts, 4u);
}

// The old model drew one timeout per isolate and reused it: an isolate that drew 1000 s never
// died under gaps of 100 s (about 2 cold starts in all). A fresh draw per idle period evicts
// after half of the gaps.
TEST(WorldTest, EveryIdlePeriodDrawsItsOwnTimeout) {
  WorldConfig w = QuietWorld(1);
  w.duration = Duration::Hours(10);
  // 10 s or 1000 s with probability 1/2 each.
  w.isolates.idle_eviction =
      Distribution::Empirical({{0, 10}, {0.5, 10}, {0.500001, 1000}, {1, 1000}});
  DirectStrategy s;
  World world(w, nullptr, s);
  constexpr int kN = 300;
  for (int i = 0; i < kN; ++i) ArriveAt(world, Time() + Duration::Seconds(1 + 100 * i), Arrival{});
  const RunMetrics& m = world.Run();
  EXPECT_EQ(m.requests, static_cast<uint64_t>(kN));
  // Binomial(299, 1/2) evictions + the first cold start: mean 150.5, sd 8.6; |z| <= 4.
  EXPECT_NEAR(static_cast<double>(m.cold_starts), 150.5, 35);
}

// Poisson arrivals at rate lambda and an exponential timeout of mean mu reset by each arrival:
// each arrival is cold independently with probability 1/(1 + lambda mu), whatever the run
// length (the per-isolate draw made it fall with the run length: survivors had long timeouts).
TEST(WorldTest, ColdFractionMatchesTheClosedFormAndDoesNotDependOnTheRunLength) {
  for (int hours : {50, 400}) {
    SCOPED_TRACE(hours);
    WorldConfig w = SmallWorld();
    w.colos.count = 1;
    w.traffic.roles = 1;
    w.traffic.rate = 0.01;                                // lambda
    w.isolates.idle_eviction = Distribution::Exponential(100);  // mu: lambda mu = 1
    w.isolates.cold_start = Distribution::Constant(0);
    w.duration = Duration::Hours(hours);
    DirectStrategy s;
    World world(w, nullptr, s);
    const RunMetrics& m = world.Run();
    const double n = static_cast<double>(m.requests);
    ASSERT_GT(n, 1000);
    // Bernoulli(1/2) per arrival: |z| <= 4 with sd sqrt(n / 4).
    EXPECT_NEAR(static_cast<double>(m.cold_starts), n / 2, 4 * std::sqrt(n / 4));
  }
}

TEST(WorldTest, NullIdleEvictionNeverEvicts) {
  const nlohmann::json j = nlohmann::json::parse(R"({"idle_eviction": null})");
  WorldConfig w = SmallWorld();
  JsonReader r(j, "world.isolates");
  ASSERT_TRUE(ParseIsolateConfig(r, &w.isolates).ok());
  ASSERT_TRUE(r.Finish().ok());
  EXPECT_FALSE(w.isolates.evict_when_idle);
  w.traffic.rate = 4.0 / 600;  // ~one request per colo every 10 minutes
  w.duration = Duration::Hours(20);
  DirectStrategy s;
  World world(w, nullptr, s);
  const RunMetrics& m = world.Run();
  EXPECT_GT(m.requests, 400u);
  EXPECT_EQ(world.isolates_created(), 4u);  // one per colo for the whole run

  // The same arrivals with a 1 s timeout: a cold start at almost every request.
  WorldConfig evicting = w;
  evicting.isolates.evict_when_idle = true;
  evicting.isolates.idle_eviction = Distribution::Constant(1);
  DirectStrategy s2;
  World w2(evicting, nullptr, s2);
  const RunMetrics& m2 = w2.Run();
  EXPECT_EQ(m2.requests, m.requests);  // common random numbers: identical traffic
  EXPECT_GT(w2.isolates_created(), m.requests * 9 / 10);
}

TEST(WorldTest, DefaultIdleEvictionIsTheCalibratedTwoHourExponential) {
  const IsolateConfig c;
  EXPECT_TRUE(c.evict_when_idle);
  EXPECT_EQ(c.idle_eviction, Distribution::Exponential(7200));
}

// ---- Serial JWT signing (issue 11 item 8) ---------------------------------------------------

// Every request signs a JWT (in the isolate, or in its role's Durable Object) and records
// when the signature finished.
class SigningStrategy final : public Strategy {
 public:
  explicit SigningStrategy(bool via_object) : via_object_(via_object) {}
  std::string_view kind() const override { return "signing"; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    return std::make_unique<Provider>(this, ports);
  }
  std::unique_ptr<DurableObject> NewDurableObject(DurableObjectContext& ctx) override {
    return std::make_unique<Object>(this, ctx);
  }
  // Finish instants by role.
  std::map<uint32_t, std::vector<Time>> signed_at;

 private:
  class Provider final : public CredentialProvider {
   public:
    Provider(SigningStrategy* s, IsolatePorts& p) : s_(s), p_(p) {}
    Task<AuthResult> GetCredentials(AuthRequest r) override {
      if (s_->via_object_) {
        DoRequest req;
        req.key = r.key;
        req.op = 1;
        co_await p_.durable_objects.Get(r.key).Fetch(req);
      } else {
        co_await p_.signer.SignJwt(r.key);
        s_->signed_at[r.key.role].push_back(p_.clock.Now());
      }
      co_return AuthResult{FailureStatus::kBadGateway, Credentials{}, Tier::kNone};
    }

   private:
    SigningStrategy* s_;
    IsolatePorts& p_;
  };
  class Object final : public DurableObject {
   public:
    Object(SigningStrategy* s, DurableObjectContext& ctx) : s_(s), ctx_(ctx) {}
    Task<DoResponse> Fetch(DoRequest request) override {
      co_await ctx_.signer().SignJwt(request.key);
      s_->signed_at[request.key.role].push_back(ctx_.clock().Now());
      co_return DoResponse{};
    }

   private:
    SigningStrategy* s_;
    DurableObjectContext& ctx_;
  };
  bool via_object_;
};

TEST(WorldTest, SignaturesInOneIsolateAreSerialAndIsolatesRunInParallel) {
  WorldConfig w = QuietWorld(2);
  w.traffic.roles = 2;
  w.sts.signing_cpu = Distribution::Constant(0.005);
  SigningStrategy s(/*via_object=*/false);
  World world(w, nullptr, s);
  constexpr int kN = 8;
  const Time t0 = Time() + Duration::Seconds(1);
  for (int i = 0; i < kN; ++i) {
    ArriveAt(world, t0, Arrival{0, 0, /*colo=*/0, 0});  // role 0 -> isolate of colo 0
    ArriveAt(world, t0, Arrival{1, 0, /*colo=*/1, 0});  // role 1 -> isolate of colo 1
  }
  const RunMetrics& m = world.Run();
  ASSERT_FALSE(world.failed()) << world.failure_message();
  EXPECT_EQ(m.jwt_signatures, 2u * kN);
  for (uint32_t role : {0u, 1u}) {
    SCOPED_TRACE(role);
    const std::vector<Time>& at = s.signed_at[role];
    ASSERT_EQ(at.size(), static_cast<size_t>(kN));
    // The per-colo signer let them overlap: all finished at t0 + 5 ms.
    for (int i = 0; i < kN; ++i) EXPECT_EQ(at[i], t0 + Duration::Millis(5) * (i + 1)) << i;
  }
}

TEST(WorldTest, SignaturesInOneDurableObjectAreSerial) {
  WorldConfig w = QuietWorld(1);
  w.traffic.roles = 2;
  w.sts.signing_cpu = Distribution::Constant(0.005);
  w.durable_objects.service_time = Distribution::Constant(0);
  SigningStrategy s(/*via_object=*/true);
  World world(w, nullptr, s);
  constexpr int kN = 6;
  const Time t0 = Time() + Duration::Seconds(1);
  for (int i = 0; i < kN; ++i) {
    for (uint32_t role : {0u, 1u}) ArriveAt(world, t0, Arrival{role, 0, 0, 0});
  }
  world.Run();
  ASSERT_FALSE(world.failed()) << world.failure_message();
  for (uint32_t role : {0u, 1u}) {  // one object per role, in parallel with the other
    SCOPED_TRACE(role);
    const std::vector<Time>& at = s.signed_at[role];
    ASSERT_EQ(at.size(), static_cast<size_t>(kN));
    for (int i = 0; i < kN; ++i) EXPECT_EQ(at[i], t0 + Duration::Millis(5) * (i + 1)) << i;
  }
}

// ---- Deployment prewarm (issue 11 item 6) ---------------------------------------------------

// Records every prewarm call (op 0) its objects receive.
class PrewarmStrategy final : public Strategy {
 public:
  std::string_view kind() const override { return "prewarm"; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    return std::make_unique<Provider>();
  }
  std::unique_ptr<DurableObject> NewDurableObject(DurableObjectContext& ctx) override {
    return std::make_unique<Object>(this, ctx);
  }
  bool prewarm_durable_objects() const override { return true; }
  std::set<std::pair<uint32_t, uint32_t>> prewarmed;  // (role, session)
  std::map<uint32_t, Time> first_call_at;              // role -> its first prewarm call
  int calls = 0;
  int max_concurrent = 0;
  int concurrent = 0;

 private:
  class Provider final : public CredentialProvider {
   public:
    Task<AuthResult> GetCredentials(AuthRequest r) override {
      co_return AuthResult{FailureStatus::kBadGateway, Credentials{}, Tier::kNone};
    }
  };
  class Object final : public DurableObject {
   public:
    Object(PrewarmStrategy* s, DurableObjectContext& ctx) : s_(s), ctx_(ctx) {}
    Task<DoResponse> Fetch(DoRequest request) override {
      EXPECT_EQ(request.op, 0u);
      ++s_->calls;
      s_->max_concurrent = std::max(s_->max_concurrent, ++s_->concurrent);
      s_->prewarmed.emplace(request.key.role, request.key.session);
      s_->first_call_at.emplace(request.key.role, ctx_.clock().Now());  // keeps the first
      co_await Sleep(ctx_.clock(), Duration::Millis(200));  // like an STS call
      --s_->concurrent;
      co_return DoResponse{};
    }

   private:
    PrewarmStrategy* s_;
    DurableObjectContext& ctx_;
  };
};

WorldConfig NamedColos() {
  WorldConfig w = SmallWorld();
  w.colos.list = {ColoSpec{"sin", 5, 2, 1}, ColoSpec{"iad", 1, 5, 1}, ColoSpec{"ams", 3, 5, 1},
                  ColoSpec{"syd", 6, 1, 1}};
  w.traffic.roles = 3;
  w.traffic.sessions_per_role = 20;
  return w;
}

TEST(WorldTest, PrewarmCallsEveryRoleAndSessionFromTheBusiestColo) {
  WorldConfig w = NamedColos();
  PrewarmStrategy s;
  World world(w, nullptr, s);
  world.Run();
  ASSERT_FALSE(world.failed()) << world.failure_message();
  EXPECT_EQ(world.deploy_colo(), 1u);  // iad and ams tie at weight 5: the lower index
  EXPECT_EQ(s.calls, 3 * 20);
  EXPECT_EQ(s.prewarmed.size(), 3u * 20);  // every (role, session), once
  for (uint32_t role = 0; role < 3; ++role) {
    EXPECT_EQ(world.durable_objects().ObjectColo(CredentialKey{role, 0}), 1u) << role;
  }
  // At most kPrewarmCallsPerObject calls per object at a time.
  EXPECT_EQ(s.max_concurrent, 3 * kPrewarmCallsPerObject);
}

TEST(WorldTest, PrewarmIsPacedAtThePrewarmRate) {
  WorldConfig w = NamedColos();
  w.workers.prewarm_rate = 2;  // role r starts at r / 2 s
  PrewarmStrategy s;
  World world(w, nullptr, s);
  world.Run();
  ASSERT_FALSE(world.failed()) << world.failure_message();
  ASSERT_EQ(s.first_call_at.size(), 3u);
  for (uint32_t role = 0; role < 3; ++role) {
    // Sent at role x 500 ms; it reaches the object after the platform's small delay.
    const Duration late = (s.first_call_at[role] - Time()) - Duration::Millis(500) * role;
    EXPECT_GE(late, Duration()) << role;
    EXPECT_LT(late, Duration::Millis(50)) << role;
  }
  EXPECT_EQ(s.prewarmed.size(), 3u * 20);
}

TEST(WorldTest, PrewarmCallsFromTheNamedDeployColo) {
  WorldConfig w = NamedColos();
  w.workers.deploy_colo = "syd";
  PrewarmStrategy s;
  World world(w, nullptr, s);
  world.Run();
  ASSERT_FALSE(world.failed()) << world.failure_message();
  EXPECT_EQ(world.deploy_colo(), 3u);
  EXPECT_EQ(s.prewarmed.size(), 3u * 20);
  for (uint32_t role = 0; role < 3; ++role) {
    EXPECT_EQ(world.durable_objects().ObjectColo(CredentialKey{role, 0}), 3u) << role;
  }
}

TEST(WorldTest, UnknownDeployColoFailsTheRun) {
  WorldConfig w = NamedColos();
  w.workers.deploy_colo = "lhr";
  EXPECT_EQ(CheckWorldConfig(w).message(),
            "world.workers.deploy_colo: unknown colo \"lhr\"; expected the name of a colo of "
            "world.colos (sin, iad, ams, syd), or null for the busiest colo");
  DirectStrategy s;
  World world(w, nullptr, s);
  world.Run();
  ASSERT_TRUE(world.failed());
  EXPECT_EQ(world.failure_message(), std::string(CheckWorldConfig(w).message()));
}

TEST(WorldTest, TooManyPrewarmKeysFailTheRunOfAPrewarmingStrategy) {
  WorldConfig w = SmallWorld();
  w.traffic.roles = 1000;
  w.traffic.sessions_per_role = 101;  // 101,000 keys > kMaxPrewarmKeys
  PrewarmStrategy s;
  World world(w, nullptr, s);
  world.Run();
  ASSERT_TRUE(world.failed());
  EXPECT_EQ(world.failure_message(),
            "traffic.sessions_per_role: a strategy that prewarms its Durable Objects calls one "
            "per (role, session): 1000 roles x 101 sessions is too many; expected roles x "
            "sessions_per_role <= 100000");
  EXPECT_EQ(s.calls, 0);
  // A strategy that does not prewarm runs.
  w.duration = Duration::Minutes(1);
  DirectStrategy d;
  World plain(w, nullptr, d);
  plain.Run();
  EXPECT_FALSE(plain.failed());
}

// ---- Failing soft and teardown -------------------------------------------------------------

struct Tally {
  int started = 0;     // GetCredentials / object fetches entered
  int destroyed = 0;   // their frames' locals destroyed (finished or torn down)
  int providers = 0;
  int providers_destroyed = 0;
};
struct Guard {
  Tally* t;
  ~Guard() { ++t->destroyed; }
};

// Requests sleep `hold` (optionally inside a Durable Object) and the `throw_on`-th throws.
class ScriptedStrategy final : public Strategy {
 public:
  ScriptedStrategy(Tally* t, Duration hold, int throw_on, bool via_object)
      : t_(t), hold_(hold), throw_on_(throw_on), via_object_(via_object) {}
  std::string_view kind() const override { return "scripted"; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    ++t_->providers;
    return std::make_unique<Provider>(this, ports);
  }
  std::unique_ptr<DurableObject> NewDurableObject(DurableObjectContext& ctx) override {
    return std::make_unique<Object>(this, ctx);
  }

 private:
  class Provider final : public CredentialProvider {
   public:
    Provider(ScriptedStrategy* s, IsolatePorts& p) : s_(s), p_(p) {}
    ~Provider() override { ++s_->t_->providers_destroyed; }
    Task<AuthResult> GetCredentials(AuthRequest r) override {
      Guard g{s_->t_};
      ++s_->t_->started;
      if (s_->via_object_) {
        DoRequest req;
        req.key = r.key;
        co_await p_.durable_objects.Get(r.key).Fetch(req);
      } else {
        co_await Sleep(p_.clock, s_->hold_);
      }
      if (++s_->calls_ == s_->throw_on_) throw std::runtime_error("provider exploded");
      co_return AuthResult{FailureStatus::kBadGateway, Credentials{}, Tier::kNone};
    }

   private:
    ScriptedStrategy* s_;
    IsolatePorts& p_;
  };
  class Object final : public DurableObject {
   public:
    Object(ScriptedStrategy* s, DurableObjectContext& ctx) : s_(s), ctx_(ctx) {}
    Task<DoResponse> Fetch(DoRequest request) override {
      Guard g{s_->t_};
      ++s_->t_->started;
      co_await Sleep(ctx_.clock(), s_->hold_);
      co_return DoResponse{};
    }

   private:
    ScriptedStrategy* s_;
    DurableObjectContext& ctx_;
  };

  Tally* t_;
  Duration hold_;
  int throw_on_;
  bool via_object_;
  int calls_ = 0;
};

TEST(WorldTest, AnExceptionEscapingARootFailsTheRunInsteadOfTerminating) {
  WorldConfig w = SmallWorld();
  Tally t;
  ScriptedStrategy s(&t, Duration::Millis(100), /*throw_on=*/50, /*via_object=*/false);
  World world(w, nullptr, s);
  world.Run();
  ASSERT_TRUE(world.failed());
  EXPECT_EQ(world.failure_message(), "provider exploded");
  // The run stopped at the failing event, long before the end.
  EXPECT_LT(world.queue().now(), Time() + Duration::Minutes(5));
}

TEST(WorldTest, RunWithoutFailureReportsNone) {
  WorldConfig w = SmallWorld();
  DirectStrategy s;
  World world(w, nullptr, s);
  world.Run();
  EXPECT_FALSE(world.failed());
  EXPECT_EQ(world.failure_message(), "");
}

// Requests still suspended when the drain limit cuts the run off (and isolates detached by a
// deploy while they wait) are destroyed with the world: nothing leaks (LeakSanitizer) and
// nothing resumes.
TEST(WorldTest, TeardownDestroysSuspendedRequestsAndTheirIsolates) {
  for (bool via_object : {false, true}) {
    SCOPED_TRACE(via_object ? "via a Durable Object" : "direct");
    WorldConfig w = SmallWorld();
    w.duration = Duration::Minutes(5);
    w.workers.edge_timeout = Duration();  // never answered early
    w.isolates.restarts = {Duration::Minutes(2)};
    Tally t;
    {
      ScriptedStrategy s(&t, Duration::Hours(100), /*throw_on=*/0, via_object);
      {
        World world(w, nullptr, s);
        world.Run();
        EXPECT_FALSE(world.failed());
        EXPECT_GT(t.started, 100);
        EXPECT_LT(t.destroyed, t.started);  // most are still suspended
        EXPECT_GT(world.executor().live_roots(), 0u);
      }
      EXPECT_EQ(t.destroyed, t.started);
      EXPECT_EQ(t.providers_destroyed, t.providers);
      EXPECT_GT(t.providers, static_cast<int>(w.colos.count));  // some were detached
    }
  }
}

}  // namespace
}  // namespace credsim
