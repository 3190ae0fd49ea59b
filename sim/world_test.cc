#include "sim/world.h"

#include <stdexcept>

#include "gtest/gtest.h"

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
