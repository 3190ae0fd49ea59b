#include "sim/world/colo_cache_sim.h"

#include <optional>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/engine/event_queue.h"
#include "sim/engine/executor.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{.role = 1, .session = 2};

Time At(Duration d) { return Time() + d; }
Duration Ms(int64_t n) { return Duration::Millis(n); }
Duration S(int64_t n) { return Duration::Seconds(n); }

Credentials Creds(uint64_t id) {
  return Credentials{.id = id, .issued_at = Time(), .expiration = At(Duration::Hours(1))};
}

// Constant latencies (match 1 ms, put 2 ms), no random failures.
ColoCacheConfig Deterministic() {
  ColoCacheConfig c;
  c.match_latency = Distribution::Constant(0.001);
  c.put_latency = Distribution::Constant(0.002);
  c.put_failure_probability = 0;
  return c;
}

Task<void> CaptureMatch(Task<CacheMatch> t, std::optional<CacheMatch>* out) {
  out->emplace(co_await std::move(t));
}
Task<void> CaptureDone(Task<void> t, bool* done) {
  co_await std::move(t);
  *done = true;
}

class ColoCacheSimTest : public ::testing::Test {
 protected:
  void Build(const ColoCacheConfig& config) {
    cache_.emplace(config, Rng::ForStream(7, "cache", 0), ex_, metrics_);
  }
  // Starts a Match at `at` and runs the simulation until it completes.
  CacheMatch MatchAt(Time at) {
    EXPECT_GE(at, q_.now()) << "test schedules in the past";
    q_.RunUntil(at);
    std::optional<CacheMatch> out;
    Spawn(CaptureMatch(cache_->Match(kKey), &out));
    q_.RunAll();
    EXPECT_TRUE(out.has_value());
    return out.value_or(CacheMatch{});
  }
  void PutAt(Time at, uint64_t id, Duration ttl) {
    EXPECT_GE(at, q_.now()) << "test schedules in the past";
    q_.RunUntil(at);
    bool done = false;
    Spawn(CaptureDone(cache_->Put(kKey, Creds(id), ttl), &done));
    q_.RunAll();
    EXPECT_TRUE(done);
  }

  EventQueue q_;
  SimExecutor ex_{q_};
  RunMetrics metrics_{Time(), At(S(100000)), S(60)};
  std::optional<ColoCacheSim> cache_;
};

TEST_F(ColoCacheSimTest, PutThenMatchHitsAfterLatencies) {
  Build(Deterministic());
  PutAt(Time(), 42, Duration::Minutes(10));
  EXPECT_EQ(q_.now(), At(Ms(2)));
  const CacheMatch m = MatchAt(q_.now());
  EXPECT_EQ(q_.now(), At(Ms(3)));
  EXPECT_FALSE(m.error);
  ASSERT_TRUE(m.value.has_value());
  EXPECT_EQ(m.value->id, 42u);
  EXPECT_EQ(metrics_.cache_puts, 1u);
  EXPECT_EQ(metrics_.cache_matches, 1u);
  EXPECT_EQ(metrics_.cache_hits, 1u);
  EXPECT_EQ(metrics_.places_holding_credentials, 1u);
}

TEST_F(ColoCacheSimTest, MissBeforeAnyPut) {
  Build(Deterministic());
  EXPECT_FALSE(MatchAt(Time()).value.has_value());
  EXPECT_EQ(metrics_.cache_matches, 1u);
  EXPECT_EQ(metrics_.cache_hits, 0u);
}

TEST_F(ColoCacheSimTest, EntryExpiresExactlyAtTtl) {
  Build(Deterministic());
  PutAt(Time(), 1, S(10));  // stored at 2 ms, expires at 10.002 s
  // The lookup happens after the 1 ms match latency.
  EXPECT_TRUE(MatchAt(At(S(10))).value.has_value());           // looks up at 10.001 s
  EXPECT_FALSE(MatchAt(At(S(10) + Ms(1))).value.has_value());  // looks up at 10.002 s
  EXPECT_EQ(cache_->live_entries(), 0u);
  EXPECT_EQ(metrics_.cache_hits, 1u);
  EXPECT_EQ(metrics_.cache_matches, 2u);
}

TEST_F(ColoCacheSimTest, PutOverwritesPreviousEntry) {
  Build(Deterministic());
  PutAt(Time(), 1, S(100));
  PutAt(At(S(1)), 2, S(100));
  EXPECT_EQ(MatchAt(At(S(2))).value->id, 2u);
  EXPECT_EQ(cache_->live_entries(), 1u);
}

TEST_F(ColoCacheSimTest, PutFailureProbabilityOneNeverStores) {
  ColoCacheConfig c = Deterministic();
  c.put_failure_probability = 1;
  Build(c);
  for (int i = 0; i < 20; ++i) PutAt(At(S(i)), i + 1, S(1000));
  EXPECT_FALSE(MatchAt(At(S(30))).value.has_value());
  EXPECT_EQ(cache_->live_entries(), 0u);
  EXPECT_EQ(metrics_.cache_puts, 20u);
  EXPECT_EQ(metrics_.places_holding_credentials, 0u);
  cache_->FinishExposure(At(S(100000)));
  EXPECT_EQ(metrics_.credential_seconds_at_rest, 0);
}

TEST_F(ColoCacheSimTest, ZeroTtlIsNotStored) {
  Build(Deterministic());
  PutAt(Time(), 1, Duration());
  EXPECT_FALSE(MatchAt(At(S(1))).value.has_value());
}

TEST_F(ColoCacheSimTest, DisabledCacheNeverStoresAndTakesNoTime) {
  ColoCacheConfig c = Deterministic();
  c.enabled = false;
  Build(c);
  EXPECT_FALSE(cache_->enabled());
  PutAt(Time(), 1, S(1000));
  EXPECT_EQ(q_.now(), Time());
  EXPECT_FALSE(MatchAt(Time()).value.has_value());
  EXPECT_EQ(q_.now(), Time());
  EXPECT_EQ(cache_->live_entries(), 0u);
  EXPECT_EQ(metrics_.cache_puts, 1u);
  EXPECT_EQ(metrics_.cache_matches, 1u);
  EXPECT_EQ(metrics_.cache_hits, 0u);
  EXPECT_EQ(metrics_.places_holding_credentials, 0u);
}

TEST_F(ColoCacheSimTest, LruIdleEvictionRemovesRarelyReadEntryBeforeTtl) {
  ColoCacheConfig c = Deterministic();
  c.lru_idle_eviction = Duration::Hours(1);
  Build(c);
  PutAt(Time(), 1, Duration::Hours(5));  // stored at 2 ms
  // Each lookup happens 1 ms after the Match starts; every hit refreshes the last access.
  EXPECT_TRUE(MatchAt(At(Duration::Minutes(59))).value.has_value());   // idle 59 min - 1 ms
  EXPECT_TRUE(MatchAt(At(Duration::Minutes(118))).value.has_value());  // idle 59 min
  // Lookup at 178 min: idle 1 h - 1 ms, still a hit.
  EXPECT_TRUE(MatchAt(At(Duration::Minutes(178) - Ms(1))).value.has_value());
  // Lookup at 238 min: idle exactly 1 h, evicted although the TTL (5 h) has not passed.
  EXPECT_FALSE(MatchAt(At(Duration::Minutes(238) - Ms(1))).value.has_value());
  EXPECT_EQ(cache_->live_entries(), 0u);
  EXPECT_EQ(metrics_.cache_hits, 3u);
  // Exposure ends at the idle-eviction instant (178 min + 1 h), not at the failed match.
  cache_->FinishExposure(At(S(100000)));
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 238 * 60.0 - 0.002);
}

TEST_F(ColoCacheSimTest, NullIdleEvictionKeepsEntryUntilTtl) {
  ColoCacheConfig c = Deterministic();
  c.lru_idle_eviction = Duration::Infinite();
  Build(c);
  PutAt(Time(), 1, Duration::Hours(5));
  EXPECT_TRUE(MatchAt(At(Duration::Hours(4))).value.has_value());
}

TEST_F(ColoCacheSimTest, EvictionProbabilityOneEvictsOnMatch) {
  ColoCacheConfig c = Deterministic();
  c.eviction_probability = 1;
  Build(c);
  PutAt(Time(), 1, S(100));
  EXPECT_FALSE(MatchAt(At(S(1))).value.has_value());
  EXPECT_EQ(cache_->live_entries(), 0u);
  // Exposure: stored at 2 ms, evicted at 1.001 s.
  cache_->FinishExposure(At(S(100000)));
  EXPECT_NEAR(metrics_.credential_seconds_at_rest, 0.999, 1e-12);
}

TEST_F(ColoCacheSimTest, ReadErrorProbabilityOneReturnsError) {
  ColoCacheConfig c = Deterministic();
  c.read_error_probability = 1;
  Build(c);
  PutAt(Time(), 1, S(100));
  const CacheMatch m = MatchAt(At(S(1)));
  EXPECT_TRUE(m.error);
  EXPECT_FALSE(m.value.has_value());
  EXPECT_EQ(metrics_.cache_matches, 1u);
  EXPECT_EQ(metrics_.cache_hits, 0u);
  EXPECT_EQ(cache_->live_entries(), 1u);  // the entry itself is untouched
}

TEST_F(ColoCacheSimTest, ExposureSecondsExact) {
  ColoCacheConfig c = Deterministic();
  c.put_latency = Distribution::Constant(0);
  c.match_latency = Distribution::Constant(0);
  metrics_ = RunMetrics(At(S(20)), At(S(1000)), S(60));
  Build(c);
  PutAt(Time(), 1, S(100));      // held [0, 50): 30 s inside the window [20, 1000)
  PutAt(At(S(50)), 2, S(100));   // held [50, 150): 100 s
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 30);
  cache_->FinishExposure(At(S(1000)));
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 130);
  cache_->FinishExposure(At(S(1000)));  // idempotent
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 130);
  EXPECT_EQ(metrics_.places_holding_credentials, 1u);
  // The put at 0 is outside the window and not counted; the one at 50 s is.
  EXPECT_EQ(metrics_.cache_puts, 1u);
}

TEST_F(ColoCacheSimTest, ExposureOfLiveEntryClippedAtFinish) {
  ColoCacheConfig c = Deterministic();
  c.put_latency = Distribution::Constant(0);
  Build(c);
  PutAt(At(S(10)), 1, S(1000));
  cache_->FinishExposure(At(S(110)));
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 100);
}

TEST_F(ColoCacheSimTest, RandomLatencyStaysInsideUniformBounds) {
  Build(ColoCacheConfig{});  // defaults: uniform 1..3 ms
  for (int i = 0; i < 50; ++i) {
    const Time start = At(S(i));
    MatchAt(start);
    EXPECT_GE(q_.now() - start, Ms(1));
    EXPECT_LE(q_.now() - start, Ms(3));
  }
}

TEST(ParseColoCacheConfigTest, ReadsAllFields) {
  const nlohmann::json j = nlohmann::json::parse(R"({
    "enabled": false,
    "match_latency": {"uniform": {"min": "2ms", "max": "4ms"}},
    "put_latency": "5ms",
    "put_failure_probability": 0.25,
    "read_error_probability": 0.5,
    "lru_idle_eviction": "30m",
    "eviction_probability": 0.125})");
  JsonReader r(j, "scenario.cache");
  ColoCacheConfig c;
  ASSERT_TRUE(ParseColoCacheConfig(r, &c).ok());
  ASSERT_TRUE(r.Finish().ok());
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.match_latency, Distribution::Uniform(0.002, 0.004));
  EXPECT_EQ(c.put_latency, Distribution::Constant(0.005));
  EXPECT_EQ(c.put_failure_probability, 0.25);
  EXPECT_EQ(c.read_error_probability, 0.5);
  EXPECT_EQ(c.lru_idle_eviction, Duration::Minutes(30));
  EXPECT_EQ(c.eviction_probability, 0.125);
}

TEST(ParseColoCacheConfigTest, DefaultsAndNullIdle) {
  const nlohmann::json j = nlohmann::json::parse(R"({"lru_idle_eviction": null})");
  JsonReader r(j, "cache");
  ColoCacheConfig c;
  ASSERT_TRUE(ParseColoCacheConfig(r, &c).ok());
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.match_latency, Distribution::Uniform(0.001, 0.003));
  EXPECT_EQ(c.put_failure_probability, 0.001);
  EXPECT_EQ(c.lru_idle_eviction, Duration::Infinite());
}

TEST(ParseColoCacheConfigTest, ErrorsNameThePath) {
  {
    const nlohmann::json j =
        nlohmann::json::parse(R"({"match_latency": {"uniform": {"min": "3ms", "max": "1ms"}}})");
    JsonReader r(j, "cache");
    ColoCacheConfig c;
    const absl::Status s = ParseColoCacheConfig(r, &c);
    EXPECT_EQ(std::string(s.message()),
              "cache.match_latency.uniform.max: must be >= min (3ms)");
  }
  {
    const nlohmann::json j = nlohmann::json::parse(R"({"put_failure_probability": 2})");
    JsonReader r(j, "cache");
    ColoCacheConfig c;
    EXPECT_FALSE(ParseColoCacheConfig(r, &c).ok());
    EXPECT_EQ(std::string(r.status().message()).rfind("cache.put_failure_probability: ", 0), 0u);
  }
  {
    const nlohmann::json j = nlohmann::json::parse(R"({"eviction_probabilty": 0})");
    JsonReader r(j, "cache");
    ColoCacheConfig c;
    ASSERT_TRUE(ParseColoCacheConfig(r, &c).ok());
    const absl::Status s = r.Finish();
    EXPECT_EQ(std::string(s.message()).rfind("cache.eviction_probabilty: unknown key", 0), 0u)
        << s.message();
  }
}

}  // namespace
}  // namespace credsim
