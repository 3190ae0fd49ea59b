#include "sim/world/kv_sim.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sim/engine/event_queue.h"
#include "sim/engine/executor.h"

namespace credsim {
namespace {

constexpr CredentialKey kKey{.role = 3, .session = 4};

Time At(Duration d) { return Time() + d; }
Duration Ms(int64_t n) { return Duration::Millis(n); }
Duration S(int64_t n) { return Duration::Seconds(n); }

Credentials Creds(uint64_t id) {
  return Credentials{.id = id, .issued_at = Time(), .expiration = At(Duration::Hours(1))};
}

// Constant latencies: hot 1 ms, cold 100 ms, write 50 ms; propagation 30 s; no errors; no
// background refresh (the tests of the refresh enable it).
KvConfig Deterministic() {
  KvConfig c;
  c.read_latency_hot = Distribution::Constant(0.001);
  c.read_latency_cold = Distribution::Constant(0.1);
  c.write_latency = Distribution::Constant(0.05);
  c.propagation_delay = Distribution::Constant(30);
  c.background_refresh.enabled = false;
  return c;
}

// All latencies 0: a read is decided at the instant it is made.
KvConfig Instant() {
  KvConfig c;
  c.read_latency_hot = Distribution::Constant(0);
  c.read_latency_cold = Distribution::Constant(0);
  c.write_latency = Distribution::Constant(0);
  return c;
}

Task<void> CaptureRead(Task<KvRead> t, std::optional<KvRead>* out) {
  out->emplace(co_await std::move(t));
}
Task<void> CaptureReadAndTime(Task<KvRead> t, Executor& ex, std::optional<KvRead>* out,
                              Time* done) {
  out->emplace(co_await std::move(t));
  *done = ex.Now();
}
Task<void> CaptureStatus(Task<KvStatus> t, std::optional<KvStatus>* out) {
  out->emplace(co_await std::move(t));
}

class KvSimTest : public ::testing::Test {
 protected:
  // Builds the store and `colos` views (colo i uses view i).
  void Build(const KvConfig& config, int colos = 3, uint64_t seed = 11) {
    views_.clear();
    store_ = std::make_unique<KvStore>(config, Rng::ForStream(seed, "kv"), metrics_);
    for (int i = 0; i < colos; ++i) {
      views_.push_back(std::make_unique<KvColoView>(*store_, static_cast<uint32_t>(i),
                                                    Rng::ForStream(seed, "kv_colo", i), ex_));
    }
  }
  // Like GetAt, and stores the Get's own latency in `*latency` (background work it started
  // may run longer).
  uint64_t IdAndLatencyAt(int colo, Time at, Duration cache_ttl, Duration* latency) {
    EXPECT_GE(at, q_.now()) << "test schedules in the past";
    q_.RunUntil(at);
    std::optional<KvRead> out;
    Time done;
    Spawn(CaptureReadAndTime(views_[colo]->Get(kKey, cache_ttl), ex_, &out, &done));
    q_.RunAll();
    EXPECT_TRUE(out.has_value());
    *latency = done - at;
    if (!out.has_value() || out->status == KvStatus::kNotFound) return 0;
    EXPECT_EQ(out->status, KvStatus::kOk);
    return out->value.has_value() ? out->value->id : 0;
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

// ---------------------------------------------------------------------------------------------
// Staleness bound (sources.md §P4 "Staleness bound on read": up to max(60 s, cacheTtl)).

// A cold read during the propagation window caches "not found", but the copy ages from the
// write: the colo sees the write max(cacheTtl, propagation) after it, not propagation +
// cacheTtl after it.
TEST_F(KvSimTest, CopyFetchedDuringPropagationAgesFromTheWrite) {
  for (const int64_t ttl : {60, 300}) {
    SCOPED_TRACE(ttl);
    q_.Clear();
    Build(Deterministic());                    // propagation 30 s
    PutAt(0, q_.now(), 1);                     // lands at w, visible in colo 1 at w + 30 s
    const Time w = q_.now();
    EXPECT_EQ(IdAt(1, w + S(10), S(ttl)), 0u);  // cold, nothing cached: "not found"
    // Served until max(w + ttl, w + 30 s) = w + ttl (was w + 10.1 s + ttl).
    EXPECT_EQ(IdAt(1, w + S(ttl) - Ms(1), S(ttl)), 0u);  // hot, stale
    EXPECT_EQ(IdAt(1, w + S(ttl), S(ttl)), 1u);          // cold: sees the write
  }
}

// With cacheTtl below the propagation delay, a copy of a superseded value is kept until the
// write has propagated, and no longer.
TEST_F(KvSimTest, ShortCacheTtlCopyEndsWhenTheWriteHasPropagated) {
  KvConfig c = Deterministic();
  c.propagation_delay = Distribution::Constant(50);
  Build(c);
  PutAt(0, Time(), 1);                         // lands 0.05 s, visible in colo 1 at 50.05 s
  EXPECT_EQ(IdAt(1, At(S(10)), S(30)), 0u);    // cold; served until min(40.1, 50.05)
  EXPECT_EQ(IdAt(1, At(S(45)), S(30)), 0u);    // cold again; served until min(75.1, 50.05)
  EXPECT_EQ(IdAt(1, At(S(50)), S(30)), 0u);    // hot, stale
  EXPECT_EQ(IdAt(1, At(S(50) + Ms(50)), S(30)), 1u);  // cold: propagated
}

// (a) A colo with nothing cached sees a write once the propagation bound (60 s) has passed.
TEST_F(KvSimTest, ColdReadWithNothingCachedSeesAWriteAfterSixtySeconds) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    q_.Clear();
    metrics_ = RunMetrics(Time(), At(S(100000)), S(60));
    Build(Instant(), 50, seed);
    const Time w = q_.now();
    ASSERT_EQ(PutAt(0, w, seed), KvStatus::kOk);
    for (int colo = 1; colo < 50; ++colo) {
      EXPECT_EQ(IdAt(colo, w + S(60)), seed) << "seed " << seed << " colo " << colo;
    }
  }
}

// (c) The writer's colo sees its own write at once, even over its own cached copy, while
// another colo's copy is still served.
TEST_F(KvSimTest, WriterColoSeesItsWriteAtOnceOverItsCachedCopy) {
  KvConfig c = Instant();
  Build(c);
  PutAt(0, Time(), 1);
  EXPECT_EQ(IdAt(1, At(S(61))), 1u);  // colo 1 caches v1
  EXPECT_EQ(IdAt(2, At(S(61))), 1u);  // colo 2 caches v1
  PutAt(1, At(S(70)), 2);
  EXPECT_EQ(IdAt(1, At(S(70))), 2u);  // the writer: at once
  EXPECT_EQ(IdAt(2, At(S(70))), 1u);  // another colo: its copy is served
  EXPECT_EQ(IdAt(2, At(S(121))), 2u);  // copy expired (61 + 60 s) and v2 propagated (<= 60 s)
}

// (b) Over many seeds, colos and read patterns, no read returns a result older than a version
// written max(60 s, cacheTtl) earlier; with and without background refresh.
TEST_F(KvSimTest, StalenessNeverExceedsMaxOfPropagationBoundAndCacheTtl) {
  constexpr int kColos = 12;
  for (const bool refresh : {false, true}) {
    for (const int64_t ttl : {30, 60, 300}) {
      const double bound = std::max<double>(60, static_cast<double>(ttl));
      double max_staleness = 0;
      for (uint64_t seed = 1; seed <= 12; ++seed) {
        q_.Clear();
        metrics_ = RunMetrics(Time(), At(S(1000000)), S(60));
        KvConfig c = Instant();  // propagation U(0, 60 s)
        c.background_refresh.enabled = refresh;
        Build(c, kColos, seed);
        Rng rng = Rng::ForStream(seed, "test");
        const Time base = q_.now();
        std::vector<Time> written;  // written[i]: write time of the version with id i + 1
        struct Read {
          Time at;
          std::optional<KvRead> result;
        };
        std::vector<std::unique_ptr<Read>> reads;
        // Writes from colo 0 every 61..400 s (ids 1, 2, ...), from 20 s.
        const Time end = base + S(4000);
        uint64_t id = 0;
        for (Time t = base + S(20); t < end;
             t = t + Duration::FromSecondsF(61 + 339 * rng.Uniform01())) {
          written.push_back(t);
          const uint64_t this_id = ++id;
          q_.Schedule(t, [this, this_id] {
            Spawn([](KvColoView& v, uint64_t i) -> Task<void> {
              const KvStatus st = co_await v.Put(kKey, Creds(i), Duration::Hours(10));
              EXPECT_EQ(st, KvStatus::kOk);
            }(*views_[0], this_id));
          });
        }
        // Readers in colos 1.. with exponential gaps, mean 1 s to 200 s per colo.
        for (int colo = 1; colo < kColos; ++colo) {
          const double mean = std::exp(std::log(200.0) * rng.Uniform01());
          for (Time t = base; t < end;
               t = t + Duration::FromSecondsF(-mean * std::log(rng.UniformOpen01()))) {
            reads.push_back(std::make_unique<Read>(Read{t, std::nullopt}));
            Read* r = reads.back().get();
            q_.Schedule(t, [this, colo, r, ttl] {
              Spawn(CaptureRead(views_[colo]->Get(kKey, S(ttl)), &r->result));
            });
          }
        }
        q_.RunAll();
        for (const auto& r : reads) {
          ASSERT_TRUE(r->result.has_value());
          const uint64_t got = r->result->status == KvStatus::kOk ? r->result->value->id : 0;
          ASSERT_TRUE(r->result->status == KvStatus::kOk ||
                      r->result->status == KvStatus::kNotFound);
          // Staleness: age of the oldest write newer than the result, if written by then.
          if (got < written.size() && written[got] <= r->at) {
            max_staleness = std::max(max_staleness, (r->at - written[got]).seconds());
          }
        }
      }
      SCOPED_TRACE(testing::Message() << "refresh " << refresh << " cacheTtl " << ttl);
      EXPECT_LE(max_staleness, bound);
      EXPECT_GT(max_staleness, 0.8 * bound);  // the runs do reach the bound
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Background refresh of frequently read keys (sources.md §P4 Architecture).

KvConfig WithRefresh(double window) {
  KvConfig c = Deterministic();
  c.background_refresh.enabled = true;
  c.background_refresh.window = window;
  return c;
}

TEST_F(KvSimTest, SteadilyReadKeyNeverPaysAColdReadAfterTheFirst) {
  Build(WithRefresh(0.5));
  PutAt(0, Time(), 1);
  Duration latency;
  EXPECT_EQ(IdAndLatencyAt(1, At(S(40)), S(60), &latency), 1u);
  EXPECT_EQ(latency, Ms(100));  // the first read is cold
  int reads = 1;
  for (int64_t t = 50; t < 3000; t += 10, ++reads) {
    const uint64_t id = IdAndLatencyAt(1, At(S(t)), S(60), &latency);
    EXPECT_EQ(latency, Ms(1)) << "cold read at " << t << " s";
    // A write at 1001 s (lands 1001.05 s, visible in colo 1 at 1031.05 s) is seen within
    // max(cacheTtl, propagation) = 60 s of it, through the refresh.
    if (t == 1000) PutAt(0, At(S(t + 1)), 2);
    if (t < 1000) {
      EXPECT_EQ(id, 1u) << t;
    }
    if (t >= 1070) {
      EXPECT_EQ(id, 2u) << t;
    }
  }
  // Refreshes are not user reads: not billed.
  EXPECT_EQ(metrics_.kv_reads, static_cast<uint64_t>(reads) + 0u);
  EXPECT_EQ(metrics_.kv_reads, metrics_.kv_read_hits);
  // One refresh per (1 - window) x cacheTtl = 30 s of age: every 40 s with reads every 10 s.
  EXPECT_NEAR(static_cast<double>(views_[1]->background_refreshes()), 2960.0 / 40, 2);
}

TEST_F(KvSimTest, KeyReadLessOftenThanCacheTtlStillPaysColdReads) {
  Build(WithRefresh(0.5));
  PutAt(0, Time(), 1);
  Duration latency;
  for (int64_t t = 40; t < 3000; t += 61) {
    EXPECT_EQ(IdAndLatencyAt(1, At(S(t)), S(60), &latency), 1u);
    EXPECT_EQ(latency, Ms(100)) << "hot read at " << t << " s";
  }
  EXPECT_EQ(views_[1]->background_refreshes(), 0u);
}

TEST_F(KvSimTest, ReadOutsideTheWindowStartsNoRefresh) {
  Build(WithRefresh(0.25));  // refresh once the copy is 45 s old
  PutAt(0, Time(), 1);
  Duration latency;
  IdAndLatencyAt(1, At(S(40)), S(60), &latency);  // cold, fetched at 40.1 s
  IdAndLatencyAt(1, At(S(85)), S(60), &latency);  // 44.9 s old: hot, no refresh
  EXPECT_EQ(latency, Ms(1));
  EXPECT_EQ(views_[1]->background_refreshes(), 0u);
  IdAndLatencyAt(1, At(S(100) + Ms(99)), S(60), &latency);  // 59.999 s old: hot, refresh
  EXPECT_EQ(latency, Ms(1));
  EXPECT_EQ(views_[1]->background_refreshes(), 1u);
  // The refresh completed at 100.199 s: the copy lives until 160.199 s.
  IdAndLatencyAt(1, At(S(160)), S(60), &latency);
  EXPECT_EQ(latency, Ms(1));
}

TEST_F(KvSimTest, DisabledRefreshLeavesTheColdReadEveryCacheTtl) {
  Build(Deterministic());
  PutAt(0, Time(), 1);
  Duration latency;
  int cold = 0;
  for (int64_t t = 40; t < 640; t += 10) {
    IdAndLatencyAt(1, At(S(t)), S(60), &latency);
    if (latency == Ms(100)) ++cold;
  }
  // Copies live 60 s from a cold read's end (t + 0.1 s): the reads at 40, 110, 180, ... s.
  EXPECT_EQ(cold, 9);
  EXPECT_EQ(views_[1]->background_refreshes(), 0u);
}

TEST_F(KvSimTest, AtMostOneRefreshInFlightPerKey) {
  Build(WithRefresh(0.5));
  PutAt(0, Time(), 1);
  EXPECT_EQ(IdAt(1, At(S(40))), 1u);  // fetched at 40.1 s
  std::optional<KvRead> a, b, c;
  StartGetAt(1, At(S(80)), &a);  // all three in the window, within one cold latency
  StartGetAt(1, At(S(80) + Ms(20)), &b);
  StartGetAt(1, At(S(80) + Ms(50)), &c);
  q_.RunAll();
  EXPECT_EQ(views_[1]->background_refreshes(), 1u);
  EXPECT_EQ(metrics_.kv_reads, 4u);
}

TEST_F(KvSimTest, FailedRefreshKeepsTheCopyUntilItExpires) {
  KvConfig c = WithRefresh(0.5);
  c.propagation_delay = Distribution::Constant(0);
  c.outages = {KvOutage{At(S(70)), At(S(200))}};
  Build(c);
  PutAt(0, Time(), 1);
  EXPECT_EQ(IdAt(1, At(S(40))), 1u);          // fetched at 40.1 s, until 100.1 s
  EXPECT_EQ(IdAt(1, At(S(80))), 1u);          // hot; the refresh fails (outage)
  EXPECT_EQ(views_[1]->background_refreshes(), 1u);
  EXPECT_EQ(IdAt(1, At(S(90))), 1u);          // hot again; a new refresh fails too
  EXPECT_EQ(GetAt(1, At(S(100) + Ms(100))).status, KvStatus::kError);  // expired: cold, fails
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
    "read_error_probability": 0.01,
    "background_refresh": {"window": 0.25}})");
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
  EXPECT_TRUE(c.background_refresh.enabled);
  EXPECT_EQ(c.background_refresh.window, 0.25);
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
  EXPECT_TRUE(c.background_refresh.enabled);
  EXPECT_EQ(c.background_refresh.window, 0.5);
}

TEST(ParseKvConfigTest, BackgroundRefreshForms) {
  for (const auto& [text, enabled, window] :
       std::vector<std::tuple<const char*, bool, double>>{
           {R"({"background_refresh": null})", false, 0.5},
           {R"({"background_refresh": false})", false, 0.5},
           {R"({"background_refresh": true})", true, 0.5},
           {R"({"background_refresh": {}})", true, 0.5},
           {R"({"background_refresh": {"window": 1}})", true, 1}}) {
    const nlohmann::json j = nlohmann::json::parse(text);
    JsonReader r(j, "kv");
    KvConfig c;
    ASSERT_TRUE(ParseKvConfig(r, &c).ok()) << text << ": " << r.status();
    ASSERT_TRUE(r.Finish().ok()) << text;
    EXPECT_EQ(c.background_refresh.enabled, enabled) << text;
    EXPECT_EQ(c.background_refresh.window, window) << text;
  }
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
  EXPECT_EQ(ParseError(R"({"background_refresh": "on"})"),
            "kv.background_refresh: expected an object {\"window\": fraction of cacheTtl in "
            "[0, 1]}, true, null or false");
  EXPECT_EQ(ParseError(R"({"background_refresh": {"window": 1.5}})")
                .rfind("kv.background_refresh.window: ", 0),
            0u);
  EXPECT_EQ(ParseError(R"({"background_refresh": {"windw": 0.5}})")
                .rfind("kv.background_refresh.windw: unknown key", 0),
            0u);
}

}  // namespace
}  // namespace credsim
