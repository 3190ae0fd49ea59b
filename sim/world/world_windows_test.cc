// The world's results windows and breakdowns: what they count, that they agree with the
// run's own counters, and that they change nothing that is simulated.
#include <cmath>
#include <cstdint>
#include <memory>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/world/world.h"

namespace credsim {
namespace {

// Calls STS on every request, from the isolate (or, via_object, from the role's Durable
// Object), and answers with its result.
class StsEveryRequest final : public Strategy {
 public:
  explicit StsEveryRequest(bool via_object = false) : via_object_(via_object) {}
  std::string_view kind() const override { return "sts_every_request"; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  std::unique_ptr<CredentialProvider> NewProvider(IsolatePorts& ports) override {
    return std::make_unique<Provider>(ports, via_object_);
  }
  std::unique_ptr<DurableObject> NewDurableObject(DurableObjectContext& ctx) override {
    return std::make_unique<Object>(ctx);
  }

 private:
  class Provider final : public CredentialProvider {
   public:
    Provider(IsolatePorts& p, bool via_object) : p_(p), via_object_(via_object) {}
    Task<AuthResult> GetCredentials(AuthRequest r) override {
      if (via_object_) {
        DoRequest req;
        req.key = r.key;
        const DoResponse d = co_await p_.durable_objects.Get(r.key).Fetch(req);
        co_return AuthResult{d.status, d.credentials, Tier::kDurableObject};
      }
      StsResult s = co_await p_.sts.AssumeRoleWithWebIdentity(r.key);
      co_return AuthResult{StatusFor(s.error), s.credentials, Tier::kSts};
    }

   private:
    IsolatePorts& p_;
    bool via_object_;
  };
  class Object final : public DurableObject {
   public:
    explicit Object(DurableObjectContext& ctx) : ctx_(ctx) {}
    Task<DoResponse> Fetch(DoRequest request) override {
      StsResult s = co_await ctx_.sts().AssumeRoleWithWebIdentity(request.key);
      DoResponse d;
      d.status = StatusFor(s.error);
      d.credentials = s.credentials;
      co_return d;
    }

   private:
    DurableObjectContext& ctx_;
  };
  bool via_object_;
};

WorldConfig Busy(uint64_t seed) {
  WorldConfig w;
  w.seed = seed;
  w.warmup = Duration::Minutes(5);
  w.duration = Duration::Minutes(20);
  w.colos.count = 6;
  w.traffic.roles = 20;
  w.traffic.rate = 20;
  // A curve, so the base arrivals in a window are a thinned Poisson process: their
  // expectation is the integral of rate x multiplier (ExpectedArrivals, closed form).
  w.traffic.curve = TrafficConfig::Curve::kDiurnal;
  w.traffic.diurnal_period = Duration::Hours(1);
  w.traffic.diurnal_peak_at = Duration::Minutes(10);
  w.traffic.diurnal_trough = 0.3;
  BurstConfig b;
  b.start = Duration::Minutes(10);
  b.duration = Duration::Minutes(2);
  b.rate = 100;
  w.traffic.bursts = {b};
  w.sts.latency = Distribution::Constant(0.1);
  w.sts.stall_probability = 0.01;
  w.sts.stall_duration = Distribution::Constant(20);  // some 503s (timeouts)
  w.sts.rate_limit.rate_per_s = 90;                   // the burst is throttled (502s)
  w.sts.rate_limit.burst = 90;
  w.isolates.cold_start = Distribution::Constant(0.01);
  return w;
}

TEST(WorldWindowsTest, ABurstWindowCountsTheExpectedArrivals) {
  // Requests arriving in burst[0] = [10m, 12m): a Poisson process (base traffic thinned by
  // the curve, plus the burst), so over S seeds the total has mean S x E and variance S x E
  // with E = ExpectedArrivals(12m) - ExpectedArrivals(10m). Tolerance: 4 standard
  // deviations (false failure probability ~6e-5).
  constexpr int kSeeds = 4;
  double expected = 0;
  uint64_t counted = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    const WorldConfig w = Busy(static_cast<uint64_t>(seed));
    expected += ExpectedArrivals(w.traffic, Duration::Minutes(12), nullptr) -
                ExpectedArrivals(w.traffic, Duration::Minutes(10), nullptr);
    StsEveryRequest s;
    World world(w, nullptr, s);
    const RunMetrics& m = world.Run();
    ASSERT_FALSE(world.failed()) << world.failure_message();
    ASSERT_EQ(m.windows.size(), 1u);
    const RunWindows::Window& win = m.windows.window(0);
    EXPECT_EQ(win.spec.name, "burst[0]");
    EXPECT_EQ(win.from, Time() + Duration::Minutes(10));
    EXPECT_EQ(win.to, Time() + Duration::Minutes(12));
    counted += win.counters.requests;
    // The burst overloads the 90/s quota: its window sees throttling and 502s.
    EXPECT_GT(win.counters.sts_throttled, 0u);
    EXPECT_GT(win.counters.errors[RunMetrics::ErrorIndex(502)], 0u);
    EXPECT_GE(win.counters.sts_peak.peak(), 90u);
  }
  EXPECT_GT(expected, 4 * 13000.0);  // (100 + ~20) / s over 120 s, per seed
  EXPECT_NEAR(static_cast<double>(counted), expected, 4 * std::sqrt(expected));
}

TEST(WorldWindowsTest, AWindowOverTheWholeMeasurementEqualsTheRunsCounters) {
  WorldConfig w = Busy(7);
  w.windows = {WindowSpec{"all", Duration(), w.warmup + w.duration, WindowSource::kScenario}};
  StsEveryRequest s;
  World world(w, nullptr, s);
  const RunMetrics& m = world.Run();
  ASSERT_FALSE(world.failed()) << world.failure_message();
  ASSERT_EQ(m.windows.size(), 2u);  // "all", then burst[0]
  const RunWindows::Window& all = m.windows.window(0);
  EXPECT_EQ(all.spec.name, "all");
  EXPECT_EQ(all.from, m.measure_from);  // clipped: the warm-up is not measured
  EXPECT_EQ(all.to, m.measure_to);
  const WindowCounters& c = all.counters;
  EXPECT_EQ(c.requests, m.requests);
  EXPECT_EQ(c.errors, m.errors);
  EXPECT_GT(m.errors[RunMetrics::ErrorIndex(503)], 0u);
  EXPECT_GT(m.errors[RunMetrics::ErrorIndex(502)], 0u);
  EXPECT_EQ(c.sts_calls, m.sts_calls);
  EXPECT_EQ(c.sts_throttled, m.sts_throttled);
  EXPECT_EQ(c.sts_peak.peak(), m.sts_peak.peak());
  EXPECT_EQ(c.auth_latency.count(), m.auth_latency.count());
  EXPECT_EQ(c.auth_latency.Percentile(0.5), m.auth_latency.Percentile(0.5));
  EXPECT_EQ(c.auth_latency.Percentile(0.99), m.auth_latency.Percentile(0.99));
  // The per-status series add up to the error series.
  for (size_t i = 0; i < m.error_series.size(); ++i) {
    EXPECT_EQ(m.error_403_series.at(i) + m.error_429_series.at(i) + m.error_500_series.at(i) +
                  m.error_502_series.at(i) + m.error_503_series.at(i),
              m.error_series.at(i))
        << i;
  }
}

TEST(WorldWindowsTest, WindowsChangeNothingThatIsSimulated) {
  WorldConfig without = Busy(3);
  without.traffic.bursts.clear();  // no generated window either
  WorldConfig with = without;
  with.windows = {
      WindowSpec{"a", Duration::Minutes(6), Duration::Minutes(9), WindowSource::kScenario},
      WindowSpec{"b", Duration::Minutes(8), Duration::Minutes(25), WindowSource::kScenario}};
  StsEveryRequest s1, s2;
  World a(with, nullptr, s1);
  World b(without, nullptr, s2);
  const RunMetrics& ma = a.Run();
  const RunMetrics& mb = b.Run();
  EXPECT_EQ(ma.windows.size(), 2u);
  EXPECT_TRUE(mb.windows.empty());
  EXPECT_GT(ma.windows.window(1).counters.requests, 0u);
  EXPECT_EQ(ma.requests, mb.requests);
  EXPECT_EQ(ma.errors, mb.errors);
  EXPECT_EQ(ma.sts_calls, mb.sts_calls);
  EXPECT_EQ(ma.sts_throttled, mb.sts_throttled);
  EXPECT_EQ(ma.auth_latency.mean(), mb.auth_latency.mean());
  EXPECT_EQ(ma.request_series.values(), mb.request_series.values());
  EXPECT_EQ(ma.sts_series.values(), mb.sts_series.values());
}

uint64_t Sum(const std::vector<BreakdownCounters>& rows, uint64_t BreakdownCounters::*f) {
  uint64_t n = 0;
  for (const BreakdownCounters& r : rows) n += r.*f;
  return n;
}

TEST(WorldWindowsTest, BreakdownRowsAddUpToTheRunsCounters) {
  const WorldConfig w = Busy(5);
  StsEveryRequest s;
  World world(w, nullptr, s);
  const RunMetrics& m = world.Run();
  ASSERT_EQ(m.by_colo.size(), 6u);
  ASSERT_EQ(m.by_role.size(), 20u);
  for (const auto* rows : {&m.by_colo, &m.by_role}) {
    EXPECT_EQ(Sum(*rows, &BreakdownCounters::requests), m.requests);
    EXPECT_EQ(Sum(*rows, &BreakdownCounters::sts_calls), m.sts_calls);
    uint64_t failed = 0;
    for (uint64_t e : m.errors) failed += e;
    EXPECT_EQ(Sum(*rows, &BreakdownCounters::errors), failed);
  }
}

TEST(WorldWindowsTest, ADurableObjectsStsCallsCountInTheColoHostingIt) {
  WorldConfig w = Busy(2);
  w.traffic.bursts.clear();
  w.durable_objects.placement = DurableObjectPlacement::kHint;
  w.durable_objects.location_colo = 4;  // every object lives in colo 4
  StsEveryRequest s(/*via_object=*/true);
  World world(w, nullptr, s);
  const RunMetrics& m = world.Run();
  ASSERT_FALSE(world.failed()) << world.failure_message();
  ASSERT_GT(m.sts_calls, 1000u);
  for (uint32_t c = 0; c < m.by_colo.size(); ++c) {
    EXPECT_EQ(m.by_colo[c].sts_calls, c == 4 ? m.sts_calls : 0u) << c;
    EXPECT_GT(m.by_colo[c].requests, 0u) << c;  // requests stay where they were served
  }
}

}  // namespace
}  // namespace credsim
