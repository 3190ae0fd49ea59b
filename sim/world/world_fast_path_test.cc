// The world's hit fast path (CredentialProvider::TryGetCredentialsNow) is a performance
// shortcut only: every strategy must measure exactly the same with it as without it. Each test
// runs one configuration twice, once with the strategy as it is and once behind a decorator
// whose providers have no fast path (every request then takes the coroutine path, with its
// edge timer), and compares every counter, the latency histogram and the time series.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/config/json_reader.h"
#include "sim/engine/distribution.h"
#include "sim/engine/random.h"
#include "sim/world/world.h"
#include "strategies/registry.h"

namespace credsim {
namespace {

// Forwards everything but TryGetCredentialsNow (so the default, "not now", applies).
class NoFastPathProvider final : public CredentialProvider {
 public:
  explicit NoFastPathProvider(std::unique_ptr<CredentialProvider> inner)
      : inner_(std::move(inner)) {}
  Task<AuthResult> GetCredentials(AuthRequest request) override {
    return inner_->GetCredentials(request);
  }
  void OnCredentialRejected(CredentialKey key, const Credentials& c) override {
    inner_->OnCredentialRejected(key, c);
  }

 private:
  std::unique_ptr<CredentialProvider> inner_;
};

class NoFastPathStrategy final : public Strategy {
 public:
  explicit NoFastPathStrategy(std::unique_ptr<Strategy> inner) : inner_(std::move(inner)) {}
  std::string_view kind() const override { return inner_->kind(); }
  nlohmann::json params() const override { return inner_->params(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    return std::make_unique<NoFastPathProvider>(inner_->NewProvider(ports));
  }
  std::unique_ptr<DurableObject> NewDurableObject(DurableObjectContext& ctx) override {
    return inner_->NewDurableObject(ctx);
  }
  bool prewarm_durable_objects() const override { return inner_->prewarm_durable_objects(); }

 private:
  std::unique_ptr<Strategy> inner_;
};

std::unique_ptr<Strategy> Make(const std::string& kind, const nlohmann::json& params) {
  JsonReader r(params, "params");
  auto s = FindStrategy(kind)->create(r);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

// Everything a run measured, as one comparable vector.
std::vector<double> Measured(const RunMetrics& m) {
  std::vector<double> v = {static_cast<double>(m.requests),
                           static_cast<double>(m.cold_starts),
                           static_cast<double>(m.cold_requests),
                           static_cast<double>(m.expired_credential_uses),
                           static_cast<double>(m.revoked_credential_uses),
                           static_cast<double>(m.cancelled_by_runtime),
                           static_cast<double>(m.edge_timeouts),
                           m.worker_cpu_ms,
                           static_cast<double>(m.sts_calls),
                           static_cast<double>(m.sts_throttled),
                           static_cast<double>(m.sts_timeouts),
                           static_cast<double>(m.sts_errors),
                           static_cast<double>(m.jwt_signatures),
                           static_cast<double>(m.cache_matches),
                           static_cast<double>(m.cache_hits),
                           static_cast<double>(m.cache_puts),
                           static_cast<double>(m.kv_reads),
                           static_cast<double>(m.kv_read_hits),
                           static_cast<double>(m.kv_writes),
                           static_cast<double>(m.do_requests),
                           static_cast<double>(m.do_storage_writes),
                           static_cast<double>(m.do_evictions),
                           m.do_active_seconds,
                           m.credential_seconds_at_rest,
                           static_cast<double>(m.places_holding_credentials),
                           static_cast<double>(m.auth_latency.count()),
                           m.auth_latency.mean(),
                           static_cast<double>(m.auth_latency.max()),
                           static_cast<double>(m.auth_latency.Percentile(0.5)),
                           static_cast<double>(m.auth_latency.Percentile(0.99))};
  for (uint64_t e : m.errors) v.push_back(static_cast<double>(e));
  for (uint64_t s : m.served_from) v.push_back(static_cast<double>(s));
  for (const TimeSeries* s : {&m.sts_series, &m.request_series, &m.error_series}) {
    for (size_t i = 0; i < s->size(); ++i) v.push_back(static_cast<double>(s->at(i)));
  }
  return v;
}

// Busy enough for hits, misses, renewals under load, idle and random evictions, STS stalls
// that run into a short edge timeout, and a revocation (403s and drop_on_403 on the fast path).
WorldConfig Busy() {
  WorldConfig w;
  w.seed = 11;
  w.warmup = Duration::Minutes(2);
  w.duration = Duration::Minutes(40);
  w.colos.count = 6;
  w.traffic.roles = 4;
  w.traffic.rate = 40;
  w.sts.latency = Distribution::LogNormal(0.15, 1.5);
  w.sts.stall_probability = 0.05;
  w.workers.edge_timeout = Duration::Seconds(2);
  w.isolates.cold_start = Distribution::Constant(0.02);
  w.isolates.idle_eviction = Distribution::Exponential(30);
  w.isolates.random_evictions_per_hour = 2;
  w.revocation.events.push_back(RevocationEvent{0, Time() + Duration::Minutes(20)});
  return w;
}

// Returns the run's edge timeouts (so a test can check it exercised them).
uint64_t ExpectSameWithAndWithoutFastPath(const WorldConfig& w, const std::string& kind,
                                      const nlohmann::json& params) {
  std::unique_ptr<Strategy> fast = Make(kind, params);
  NoFastPathStrategy slow(Make(kind, params));
  World a(w, nullptr, *fast);
  World b(w, nullptr, slow);
  const RunMetrics& ma = a.Run();
  const RunMetrics& mb = b.Run();
  EXPECT_FALSE(a.failed()) << a.failure_message();
  EXPECT_FALSE(b.failed()) << b.failure_message();
  EXPECT_GT(ma.served_from[static_cast<int>(Tier::kL1)], ma.requests / 2) << kind;
  EXPECT_EQ(Measured(ma), Measured(mb)) << kind << " " << params.dump();
  return ma.edge_timeouts;
}

TEST(WorldFastPathTest, L1VariantsMeasureTheSameWithAndWithoutTheFastPath) {
  const nlohmann::json revocation = {{"enabled", true}, {"drop_on_403", true}};
  for (const char* v : {"v0", "v1", "v2"}) {
    // STS stalls run into the edge timeout: the general path's timeouts are exercised too.
    EXPECT_GT(ExpectSameWithAndWithoutFastPath(Busy(), "l1",
                                               {{"variant", v}, {"revocation", revocation}}),
              0u);
  }
}

TEST(WorldFastPathTest, EveryL1FrontedStrategyMeasuresTheSame) {
  for (const char* kind : {"l1_l2", "kv", "do_singleflight", "do_alarm_kv"}) {
    ExpectSameWithAndWithoutFastPath(Busy(), kind, nlohmann::json::object());
  }
}

TEST(WorldFastPathTest, SameOnTheWorkersRuntimeWithV1LockCancellations) {
  WorldConfig w = Busy();
  w.workers.cross_request_waits_cancelled = true;
  ExpectSameWithAndWithoutFastPath(w, "l1", {{"variant", "v1"}});
}

// ---- Idle checks (World::ArmIdle) against the plain rule ---------------------------------
// The world keeps one lazily re-armed idle check per isolate instead of one timer per
// arrival. This oracle replays the server's RNG stream (two draws per cold start, one per
// arrival) with the plain rule "evicted when no request arrives within the timeout drawn at
// the last arrival" and must predict every cold start.
struct Case {
  Distribution idle;
  uint64_t seed;
};

TEST(WorldIdleCheckTest, ColdStartsMatchThePlainRuleArrivalByArrival) {
  const std::vector<Case> cases = {
      {Distribution::Exponential(20), 1},
      {Distribution::Exponential(20), 2},
      {Distribution::LogNormal(10, 200), 3},
      // Mostly short, sometimes very long: later arrivals often bring the deadline earlier.
      {Distribution::Empirical({{0, 1}, {0.7, 5}, {0.7000001, 300}, {1, 900}}), 4},
      {Distribution::Uniform(2, 40), 5},
      {Distribution::Constant(15), 6},
  };
  for (const Case& c : cases) {
    WorldConfig w;
    w.seed = c.seed;
    w.warmup = Duration();
    w.duration = Duration::Hours(24);
    w.colos.count = 1;
    w.colos.servers_per_colo = 1;
    w.traffic.rate = 0;
    w.isolates.cold_start = Distribution::Constant(0);
    w.isolates.idle_eviction = c.idle;
    std::unique_ptr<Strategy> s = Make("l1", nlohmann::json::object());
    World world(w, nullptr, *s);
    // Arrivals: bursts of close requests separated by gaps of up to a minute; some arrive
    // in the same nanosecond as the previous one (a tie the idle check must keep in order).
    Rng gaps = Rng::ForStream(c.seed, "test.gaps");
    std::vector<Time> arrivals;
    Time t = Time() + Duration::Seconds(1);
    while (arrivals.size() < 3000) {
      const double g = gaps.Uniform01();
      const Duration gap = g < 0.05   ? Duration()
                           : g < 0.6  ? Duration::FromSecondsF(gaps.Uniform01() * 2)
                                      : Duration::FromSecondsF(gaps.Uniform01() * 60);
      t = t + gap;
      arrivals.push_back(t);
      world.queue().Schedule(t, [&world] { world.OnArrival(Arrival{}); });
    }
    ASSERT_LT(t, Time() + w.duration);
    // The plain rule, on the same stream.
    Rng rng = Rng::ForStream(c.seed, "isolates", 0);
    bool alive = false;
    Time deadline;
    uint64_t cold_starts = 0;
    for (Time a : arrivals) {
      // An arrival at exactly the deadline runs first (it was scheduled before the timer).
      if (alive && a > deadline) alive = false;
      if (!alive) {
        ++cold_starts;
        alive = true;
        rng.UniformOpen01();  // start-up time
        rng.UniformOpen01();  // death (random evictions: none here)
      }
      deadline = a + Duration::FromSecondsF(c.idle.Quantile(rng.UniformOpen01()));
    }
    const RunMetrics& m = world.Run();
    EXPECT_EQ(m.requests, arrivals.size());
    EXPECT_GT(cold_starts, 20u) << c.idle.Describe();
    EXPECT_EQ(world.isolates_created(), cold_starts) << c.idle.Describe();
  }
}

}  // namespace
}  // namespace credsim
