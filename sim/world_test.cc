#include "sim/world.h"

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
    Task<AuthResult> GetCredentials(const AuthRequest& r) override {
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

}  // namespace
}  // namespace credsim
