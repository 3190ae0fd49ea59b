#include "sim/kv_sim.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/event_queue.h"
#include "sim/executor.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{.role = 3, .session = 4};

Time At(Duration d) { return Time() + d; }
Duration Ms(int64_t n) { return Duration::Millis(n); }
Duration S(int64_t n) { return Duration::Seconds(n); }

Credentials Creds(uint64_t id) {
  return Credentials{.id = id, .issued_at = Time(), .expiration = At(Duration::Hours(1))};
}

// Constant latencies: hot 1 ms, cold 100 ms, write 50 ms; propagation 30 s; no errors.
KvConfig Deterministic() {
  KvConfig c;
  c.read_latency_hot = Distribution::Constant(0.001);
  c.read_latency_cold = Distribution::Constant(0.1);
  c.write_latency = Distribution::Constant(0.05);
  c.propagation_delay = Distribution::Constant(30);
  return c;
}

Task<void> CaptureRead(Task<KvRead> t, std::optional<KvRead>* out) {
  out->emplace(co_await std::move(t));
}
Task<void> CaptureStatus(Task<KvStatus> t, std::optional<KvStatus>* out) {
  out->emplace(co_await std::move(t));
}

class KvSimTest : public ::testing::Test {
 protected:
  // Builds the store and `colos` views (colo i uses view i).
  void Build(const KvConfig& config, int colos = 3) {
    views_.clear();
    store_ = std::make_unique<KvStore>(config, Rng::ForStream(11, "kv"), metrics_);
    for (int i = 0; i < colos; ++i) {
      views_.push_back(std::make_unique<KvColoView>(*store_, static_cast<uint32_t>(i),
                                                    Rng::ForStream(11, "kv_colo", i), ex_));
    }
  }
  // Starts a Get from colo `colo` at `at` and runs until it completes.
  KvRead GetAt(int colo, Time at, Duration cache_ttl = Duration()) {
    EXPECT_GE(at, q_.now()) << "test schedules in the past";
    q_.RunUntil(at);
    std::optional<KvRead> out;
    Spawn(CaptureRead(views_[colo]->Get(kKey, cache_ttl), &out));
    q_.RunAll();
    EXPECT_TRUE(out.has_value());
    return out.value_or(KvRead{});
  }
  // The credential id a Get returned (0 = not found), failing the test on other statuses.
  uint64_t IdAt(int colo, Time at, Duration cache_ttl = Duration()) {
    const KvRead r = GetAt(colo, at, cache_ttl);
    if (r.status == KvStatus::kNotFound) {
      EXPECT_FALSE(r.value.has_value());
      return 0;
    }
    EXPECT_EQ(r.status, KvStatus::kOk);
    return r.value.has_value() ? r.value->id : 0;
  }
  // Schedules a Get / Put at `at` without running the simulation (for overlapping calls).
  void StartGetAt(int colo, Time at, std::optional<KvRead>* out) {
    q_.Schedule(at, [this, colo, out] { Spawn(CaptureRead(views_[colo]->Get(kKey, {}), out)); });
  }
  void StartPutAt(int colo, Time at, uint64_t id, std::optional<KvStatus>* out) {
    q_.Schedule(at, [this, colo, id, out] {
      Spawn(CaptureStatus(views_[colo]->Put(kKey, Creds(id), Duration::Hours(1)), out));
    });
  }
  KvStatus PutAt(int colo, Time at, uint64_t id, Duration ttl = Duration::Hours(1)) {
    EXPECT_GE(at, q_.now()) << "test schedules in the past";
    q_.RunUntil(at);
    std::optional<KvStatus> out;
    Spawn(CaptureStatus(views_[colo]->Put(kKey, Creds(id), ttl), &out));
    q_.RunAll();
    EXPECT_TRUE(out.has_value());
    return out.value_or(KvStatus::kError);
  }

  EventQueue q_;
  SimExecutor ex_{q_};
  RunMetrics metrics_{Time(), At(S(100000)), S(60)};
  std::unique_ptr<KvStore> store_;
  std::vector<std::unique_ptr<KvColoView>> views_;
};

TEST_F(KvSimTest, WriterColoReadsNewValueAtOnce) {
  Build(Deterministic());
  EXPECT_EQ(PutAt(0, Time(), 7), KvStatus::kOk);
  EXPECT_EQ(q_.now(), At(Ms(50)));
  EXPECT_EQ(IdAt(0, q_.now()), 7u);
  EXPECT_EQ(q_.now(), At(Ms(150)));  // cold read
  EXPECT_EQ(IdAt(0, q_.now()), 7u);
  EXPECT_EQ(q_.now(), At(Ms(151)));  // hot read
  EXPECT_EQ(metrics_.kv_writes, 1u);
  EXPECT_EQ(metrics_.kv_reads, 2u);
  EXPECT_EQ(metrics_.kv_read_hits, 2u);
  EXPECT_EQ(metrics_.kv_stale_reads, 0u);
}

TEST_F(KvSimTest, OtherColoSeesNothingUntilPropagation) {
  Build(Deterministic());
  PutAt(0, Time(), 7);  // lands at 50 ms, visible in other colos at 30.05 s
  // Cold reads (100 ms) from colos that never read the key: decided at completion time.
  std::optional<KvRead> early, on_time;
  StartGetAt(1, At(S(30) - Ms(51)), &early);    // completes at 30.049 s
  StartGetAt(2, At(S(30) - Ms(50)), &on_time);  // completes at 30.05 s
  q_.RunAll();
  ASSERT_TRUE(early.has_value() && on_time.has_value());
  EXPECT_EQ(early->status, KvStatus::kNotFound);
  ASSERT_EQ(on_time->status, KvStatus::kOk);
  EXPECT_EQ(on_time->value->id, 7u);
  EXPECT_EQ(metrics_.kv_stale_reads, 1u);
}

TEST_F(KvSimTest, ReadInAnotherColoSeesOldValueUntilCacheTtlAndPropagation) {
  Build(Deterministic());
  PutAt(0, Time(), 1);                      // v1 visible in colo 1 from 30.05 s
  EXPECT_EQ(IdAt(1, At(S(40))), 1u);        // cold, cached at 40.1 s until 100.1 s
  PutAt(0, At(S(50)), 2);                   // v2 lands at 50.05 s, visible in colo 1 at 80.05 s
  EXPECT_EQ(IdAt(0, At(S(51))), 2u);        // writer colo: new value at once
  EXPECT_EQ(IdAt(1, At(S(60))), 1u);        // hot: old value
  EXPECT_EQ(IdAt(1, At(S(90))), 1u);        // hot: old value although v2 has propagated
  EXPECT_EQ(IdAt(1, At(S(100) + Ms(99))), 1u);  // last instant of the cached copy
  EXPECT_EQ(IdAt(1, At(S(100) + Ms(100))), 2u);  // cache expired: cold read sees v2
  EXPECT_EQ(q_.now(), At(S(100) + Ms(200)));
  EXPECT_EQ(metrics_.kv_stale_reads, 3u);
  EXPECT_EQ(metrics_.kv_reads, 6u);
  EXPECT_EQ(metrics_.kv_read_hits, 6u);
}

TEST_F(KvSimTest, ExpiredCacheStillStaleUntilPropagation) {
  Build(Deterministic());
  PutAt(0, Time(), 1);
  EXPECT_EQ(IdAt(1, At(S(40)), S(30)), 1u);  // cached at 40.1 s for 30 s (minimum cacheTtl)
  PutAt(0, At(S(60)), 2);                    // lands 60.05 s, visible in colo 1 at 90.05 s
  EXPECT_EQ(IdAt(1, At(S(70) + Ms(100)), S(30)), 1u);  // cold at 70.2 s: not propagated yet
  EXPECT_EQ(IdAt(1, At(S(100) + Ms(200)), S(30)), 2u);  // cold at 100.3 s: v2
  EXPECT_EQ(metrics_.kv_stale_reads, 1u);
}

TEST_F(KvSimTest, LowerCacheTtlShortensCachedEntry) {
  Build(Deterministic());
  PutAt(0, Time(), 1);
  EXPECT_EQ(IdAt(1, At(S(40))), 1u);         // cached at 40.1 s with the default 60 s
  PutAt(0, At(S(41)), 2);                    // visible in colo 1 at 71.05 s
  // A read with cacheTtl 30 s at 75 s: the copy is 34.9 s old, so it is a cold read.
  EXPECT_EQ(IdAt(1, At(S(75)), S(30)), 2u);
}

TEST_F(KvSimTest, NegativeLookupCachedHidesNewKeyUntilCacheTtl) {
  Build(Deterministic());
  EXPECT_EQ(GetAt(1, Time()).status, KvStatus::kNotFound);  // cached "not found" 0.1..60.1 s
  PutAt(0, At(S(1)), 9);                                    // visible in colo 1 at 31.05 s
  EXPECT_EQ(GetAt(1, At(S(40))).status, KvStatus::kNotFound);            // hot negative
  EXPECT_EQ(q_.now(), At(S(40) + Ms(1)));
  EXPECT_EQ(GetAt(1, At(S(60) + Ms(99))).status, KvStatus::kNotFound);   // still cached
  EXPECT_EQ(IdAt(1, At(S(60) + Ms(100))), 9u);                            // cold again
  EXPECT_EQ(metrics_.kv_reads, 4u);
  EXPECT_EQ(metrics_.kv_read_hits, 1u);
  EXPECT_EQ(metrics_.kv_stale_reads, 2u);
}

TEST_F(KvSimTest, SecondWriteWithinOneSecondIsRateLimited) {
  Build(Deterministic());
  std::optional<KvStatus> first, other_colo, too_early, on_time;
  StartPutAt(0, Time(), 1, &first);             // lands at 0.05 s
  StartPutAt(1, At(Ms(500)), 3, &other_colo);   // other colo, same key
  StartPutAt(0, At(Ms(999)), 2, &too_early);    // lands 0.999 s after the first
  StartPutAt(2, At(S(1)), 4, &on_time);         // lands exactly 1 s after the first
  q_.RunAll();
  EXPECT_EQ(first, KvStatus::kOk);
  EXPECT_EQ(other_colo, KvStatus::kRateLimited);
  EXPECT_EQ(too_early, KvStatus::kRateLimited);
  EXPECT_EQ(on_time, KvStatus::kOk);
  EXPECT_EQ(metrics_.kv_writes, 2u);
  EXPECT_EQ(metrics_.kv_writes_rate_limited, 2u);
  EXPECT_EQ(IdAt(2, At(S(2))), 4u);
}

TEST_F(KvSimTest, RateLimitIsPerKey) {
  Build(Deterministic());
  q_.RunUntil(Time());
  std::optional<KvStatus> a, b;
  Spawn(CaptureStatus(views_[0]->Put(kKey, Creds(1), S(60)), &a));
  Spawn(CaptureStatus(views_[0]->Put(CredentialKey{.role = 3, .session = 5}, Creds(2), S(60)),
                      &b));
  q_.RunAll();
  EXPECT_EQ(a, KvStatus::kOk);
  EXPECT_EQ(b, KvStatus::kOk);
}

TEST_F(KvSimTest, ExpirationTtlBelowSixtySecondsIsInvalid) {
  Build(Deterministic());
  EXPECT_EQ(PutAt(0, Time(), 1, S(59)), KvStatus::kInvalidTtl);
  EXPECT_EQ(q_.now(), Time());  // rejected without I/O
  EXPECT_EQ(PutAt(0, Time(), 1, S(60)), KvStatus::kOk);
  EXPECT_EQ(metrics_.kv_writes, 1u);
  EXPECT_EQ(GetAt(0, At(S(1)), S(10)).status, KvStatus::kInvalidTtl);
}

TEST_F(KvSimTest, ExpiredValueIsNotReturned) {
  Build(Deterministic());
  PutAt(0, Time(), 1, S(60));               // expires at 60.05 s
  EXPECT_EQ(IdAt(0, At(S(59))), 1u);         // cached until the value's expiration
  EXPECT_EQ(IdAt(0, At(S(60))), 1u);         // hot, 50 ms before the expiration
  EXPECT_EQ(GetAt(0, At(S(60) + Ms(50))).status, KvStatus::kNotFound);  // cold: expired
  EXPECT_EQ(metrics_.kv_stale_reads, 0u);
}

TEST_F(KvSimTest, OutageFailsColdReadsAndWritesButNotHotReads) {
  KvConfig c = Deterministic();
  c.propagation_delay = Distribution::Constant(0);
  c.outages = {KvOutage{At(S(100)), At(S(200))}};
  Build(c);
  PutAt(0, Time(), 1);
  EXPECT_EQ(IdAt(1, At(S(90))), 1u);                           // cached 90.1..150.1 s
  EXPECT_EQ(IdAt(1, At(S(120))), 1u);                          // hot read works
  EXPECT_EQ(GetAt(2, At(S(121))).status, KvStatus::kError);    // cold read fails
  EXPECT_EQ(PutAt(0, At(S(130)), 2), KvStatus::kError);        // write fails
  EXPECT_EQ(GetAt(1, At(S(160))).status, KvStatus::kError);    // copy expired: cold, fails
  EXPECT_EQ(IdAt(2, At(S(200))), 1u);                          // after the outage
  EXPECT_EQ(metrics_.kv_writes, 1u);
  EXPECT_EQ(metrics_.kv_reads, 5u);
}

TEST_F(KvSimTest, ReadErrorProbabilityOneFailsEveryRead) {
  KvConfig c = Deterministic();
  c.read_error_probability = 1;
  Build(c);
  PutAt(0, Time(), 1);
  EXPECT_EQ(GetAt(0, At(S(1))).status, KvStatus::kError);
  EXPECT_EQ(GetAt(0, At(S(2))).status, KvStatus::kError);  // errors are not cached
  EXPECT_EQ(metrics_.kv_reads, 2u);
  EXPECT_EQ(metrics_.kv_read_hits, 0u);
}

TEST_F(KvSimTest, ExposureSecondsExact) {
  KvConfig c;
  c.read_latency_hot = Distribution::Constant(0);
  c.read_latency_cold = Distribution::Constant(0);
  c.write_latency = Distribution::Constant(0);
  c.propagation_delay = Distribution::Constant(0);
  metrics_ = RunMetrics(Time(), At(S(1000)), S(60));
  Build(c);
  PutAt(0, Time(), 1, S(300));        // store: [0, 100) then overwritten
  EXPECT_EQ(IdAt(1, At(S(50))), 1u);  // colo 1 cache: [50, 110)
  PutAt(0, At(S(100)), 2, S(300));    // store: [100, 400)
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 100);
  EXPECT_EQ(IdAt(1, At(S(120))), 2u);  // colo 1 cache: [120, 180)
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 160);
  store_->FinishExposure(At(S(1000)));
  for (auto& v : views_) v->FinishExposure(At(S(1000)));
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 100 + 60 + 300 + 60);
  store_->FinishExposure(At(S(1000)));  // idempotent
  for (auto& v : views_) v->FinishExposure(At(S(1000)));
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 520);
  EXPECT_EQ(metrics_.places_holding_credentials, 2u);  // "kv" and colo 1
}

TEST_F(KvSimTest, WriterColoDropsItsCachedCopy) {
  KvConfig c = Deterministic();
  c.read_latency_cold = Distribution::Constant(0);
  c.write_latency = Distribution::Constant(0);
  c.propagation_delay = Distribution::Constant(0);
  metrics_ = RunMetrics(Time(), At(S(1000)), S(60));
  Build(c);
  PutAt(0, Time(), 1, S(300));
  EXPECT_EQ(IdAt(0, At(S(10))), 1u);   // colo 0 caches [10, 70)
  PutAt(0, At(S(20)), 2, S(300));      // drops the copy at 20 s
  EXPECT_EQ(IdAt(0, At(S(21))), 2u);   // cold read, caches [21, 81)
  store_->FinishExposure(At(S(1000)));
  for (auto& v : views_) v->FinishExposure(At(S(1000)));
  // Store 20 + 300; colo 0 cache 10 + 60.
  EXPECT_DOUBLE_EQ(metrics_.credential_seconds_at_rest, 390);
}

TEST_F(KvSimTest, PropagationDelayIsPerColoWithinBoundsAndStable) {
  KvConfig c;  // uniform 0..60 s
  Build(c, 1);
  PutAt(0, Time(), 1);
  KvStore::Version v{.version = 1, .value = Creds(1), .written_at = At(S(5)),
                     .expires_at = At(S(5000)), .writer_colo = 4};
  EXPECT_EQ(store_->VisibleAt(v, 4), At(S(5)));
  Time min = Time::Infinite(), max = Time();
  for (uint32_t colo = 0; colo < 200; ++colo) {
    if (colo == 4) continue;
    const Time t = store_->VisibleAt(v, colo);
    EXPECT_EQ(t, store_->VisibleAt(v, colo));  // same whenever asked
    EXPECT_GE(t, At(S(5)));
    EXPECT_LE(t, At(S(65)));
    min = std::min(min, t);
    max = std::max(max, t);
  }
  EXPECT_LT(min, At(S(15)));  // spread over the range, not a constant
  EXPECT_GT(max, At(S(55)));
}

TEST_F(KvSimTest, ManyWritesStayCorrectAfterPruning) {
  KvConfig c = Deterministic();
  c.propagation_delay = Distribution::Uniform(0, 10);
  Build(c);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(PutAt(0, At(S(2 * i)), i + 1), KvStatus::kOk);
  }
  // Last write lands at 398.05 s; 10 s later it is visible everywhere.
  EXPECT_EQ(IdAt(1, At(S(409))), 200u);
  EXPECT_EQ(IdAt(2, At(S(410))), 200u);
  EXPECT_EQ(metrics_.kv_writes, 200u);
}

TEST_F(KvSimTest, MeasurementWindowGatesCounters) {
  metrics_ = RunMetrics(At(S(10)), At(S(20)), S(60));
  Build(Deterministic());
  PutAt(0, Time(), 1);
  GetAt(0, At(S(1)));
  GetAt(0, At(S(11)));
  PutAt(0, At(S(25)), 2);
  EXPECT_EQ(metrics_.kv_writes, 0u);
  EXPECT_EQ(metrics_.kv_reads, 1u);
  EXPECT_EQ(metrics_.kv_read_hits, 1u);
}

TEST(ParseKvConfigTest, ReadsAllFields) {
  const nlohmann::json j = nlohmann::json::parse(R"({
    "read_latency_hot": "2ms",
    "read_latency_cold": {"lognormal": {"median": "50ms", "p99": "300ms"}},
    "write_latency": {"uniform": {"min": "10ms", "max": "20ms"}},
    "propagation_delay": {"uniform": {"min": "0s", "max": "90s"}},
    "default_cache_ttl": "120s",
    "min_cache_ttl": "60s",
    "write_rate_per_key_per_s": 2,
    "min_expiration_ttl": "30s",
    "outages": [{"start": "10m", "end": "20m"}, {"start": "1h", "end": "1h5m"}],
    "read_error_probability": 0.01})");
  JsonReader r(j, "scenario.kv");
  KvConfig c;
  ASSERT_TRUE(ParseKvConfig(r, &c).ok()) << r.status();
  ASSERT_TRUE(r.Finish().ok());
  EXPECT_EQ(c.read_latency_hot, Distribution::Constant(0.002));
  EXPECT_EQ(c.read_latency_cold, Distribution::LogNormal(0.05, 0.3));
  EXPECT_EQ(c.write_latency, Distribution::Uniform(0.01, 0.02));
  EXPECT_EQ(c.propagation_delay, Distribution::Uniform(0, 90));
  EXPECT_EQ(c.default_cache_ttl, S(120));
  EXPECT_EQ(c.min_cache_ttl, S(60));
  EXPECT_EQ(c.write_rate_per_key_per_s, 2);
  EXPECT_EQ(c.min_expiration_ttl, S(30));
  ASSERT_EQ(c.outages.size(), 2u);
  EXPECT_EQ(c.outages[1].start, At(Duration::Hours(1)));
  EXPECT_EQ(c.outages[1].end, At(Duration::Minutes(65)));
  EXPECT_EQ(c.read_error_probability, 0.01);
  EXPECT_TRUE(c.InOutage(At(Duration::Minutes(10))));
  EXPECT_FALSE(c.InOutage(At(Duration::Minutes(20))));
}

TEST(ParseKvConfigTest, Defaults) {
  const nlohmann::json j = nlohmann::json::object();  // JsonReader keeps a reference
  JsonReader r(j, "kv");
  KvConfig c;
  ASSERT_TRUE(ParseKvConfig(r, &c).ok());
  EXPECT_EQ(c.propagation_delay, Distribution::Uniform(0, 60));
  EXPECT_EQ(c.default_cache_ttl, S(60));
  EXPECT_EQ(c.min_cache_ttl, S(30));
  EXPECT_EQ(c.write_rate_per_key_per_s, 1);
  EXPECT_EQ(c.min_expiration_ttl, S(60));
  EXPECT_TRUE(c.outages.empty());
}

std::string ParseError(const char* text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  JsonReader r(j, "kv");
  KvConfig c;
  (void)ParseKvConfig(r, &c);
  return std::string(r.Finish().message());
}

TEST(ParseKvConfigTest, ErrorsNameThePath) {
  EXPECT_EQ(ParseError(R"({"outages": [{"start": "10m", "end": "5m"}]})"),
            "kv.outages[0].end: must be after start (10m)");
  EXPECT_EQ(ParseError(R"({"outages": [{"start": "10m"}]})"),
            "kv.outages[0].end: missing; expected a duration since the simulation start");
  EXPECT_EQ(ParseError(R"({"outages": [{"start": "1m", "end": "2m", "kind": "x"}]})")
                .rfind("kv.outages[0].kind: unknown key", 0),
            0u);
  EXPECT_EQ(ParseError(R"({"default_cache_ttl": "10s"})"),
            "kv.default_cache_ttl: 10s is below min_cache_ttl (30s); expected a duration >= "
            "min_cache_ttl");
  EXPECT_EQ(ParseError(R"({"propagation_delay": {"uniform": {"min": "9s", "max": "1s"}}})"),
            "kv.propagation_delay.uniform.max: must be >= min (9s)");
  EXPECT_EQ(ParseError(R"({"cache_ttl": "60s"})").rfind("kv.cache_ttl: unknown key", 0), 0u);
}

}  // namespace
}  // namespace credsim
