// Simulated Workers KV: one central store shared by all colos (KvStore) and, per colo (or per
// Durable Object location), the colo's read cache through which Workers see it (KvColoView,
// the adapter of the `KvNamespace` port in strategies/ports.h).
#ifndef CREDSIM_SIM_WORLD_KV_SIM_H_
#define CREDSIM_SIM_WORLD_KV_SIM_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "sim/engine/distribution.h"
#include "sim/config/json_reader.h"
#include "sim/engine/random.h"
#include "sim/world/run_metrics.h"
#include "sim/engine/task.h"
#include "sim/engine/time.h"
#include "strategies/ports/ports.h"

namespace credsim {

// A central-store outage [start, end) in simulated time (June 2025 pattern, sources.md §P4:
// cold reads and writes fail, reads served from a colo's cache keep working).
struct KvOutage {
  Time start;
  Time end;
};

// Parameters of Workers KV. Latency and delay distributions are in seconds.
struct KvConfig {
  // Read served from the colo's cache: "≤ a few ms" (sources.md §P4 read latency, §P9: 1-5 ms,
  // assumption for the distribution).
  Distribution read_latency_hot = Distribution::Uniform(0.001, 0.005);
  // Read that goes to the regional/central tiers: tens to hundreds of ms (sources.md §P9:
  // 30-150 ms, assumption).
  Distribution read_latency_cold = Distribution::Uniform(0.030, 0.150);
  // Write round trip to the central store (assumption).
  Distribution write_latency = Distribution::Uniform(0.020, 0.080);
  // Time until a write is visible in a colo other than the writer's: "up to 60 seconds or
  // more" (sources.md §P4 Consistency); visible at once in the writing colo.
  Distribution propagation_delay = Distribution::Uniform(0, 60);
  // cacheTtl used when Get is called with cache_ttl <= 0: default 60 s (sources.md §P4).
  Duration default_cache_ttl = Duration::Seconds(60);
  // Smallest accepted cacheTtl: 30 s on the current limits page, 60 s on older pages
  // (sources.md §P4 cacheTtl). Get with 0 < cache_ttl < this returns kInvalidTtl.
  Duration min_cache_ttl = Duration::Seconds(30);
  // Writes to one key: 1 per second, excess → 429 (sources.md §P4 Write rate per key).
  // 0 = unlimited.
  double write_rate_per_key_per_s = 1;
  // expirationTtl < 60 s is rejected (sources.md §P4 Expiration).
  Duration min_expiration_ttl = Duration::Seconds(60);
  // Central-store outages (none by default).
  std::vector<KvOutage> outages;
  // Probability that a Get fails with kError (assumption, off by default).
  double read_error_probability = 0;
  // Background refresh of frequently read keys (sources.md §P4 Architecture: "Frequently read
  // keys are refreshed in the background before their cache expires"; the trigger below is an
  // assumption, see KvColoView). Scenario: "background_refresh": {"window": 0.5}; null or
  // false disables it.
  struct BackgroundRefresh {
    bool enabled = true;
    // A hot read of a copy whose age is at least (1 - window) x its cacheTtl starts a refresh.
    // 0 to 1; 0 never triggers.
    double window = 0.5;
  } background_refresh;

  bool InOutage(Time t) const;
};

// Reads {"read_latency_hot", "read_latency_cold", "write_latency", "propagation_delay",
// "default_cache_ttl", "min_cache_ttl", "write_rate_per_key_per_s", "min_expiration_ttl",
// "outages": [{"start": "10m", "end": "20m"}, ...], "read_error_probability",
// "background_refresh": {"window": 0.5} | null | false | true} from `r` (outage instants are
// durations since the start of the simulation); absent keys keep the defaults of `*out`
// (`true` or an object enables the refresh). Errors are recorded in `r` and returned.
absl::Status ParseKvConfig(JsonReader& r, KvConfig* out);

// KvStore: the central KV store of one namespace, shared by every colo.
//
// Contract:
//  - Write() applies a write arriving at `now` from `colo`: kError during an outage;
//    kRateLimited (429) if the key's previous accepted write was less than
//    1 / write_rate_per_key_per_s ago; otherwise the write gets a new version number (global,
//    increasing from 1), expires at now + expiration_ttl, and becomes the key's newest
//    version (last write wins). Validation of expiration_ttl is the caller's (KvColoView).
//  - Visibility: version v of a key is visible in colo c from VisibleAt(v, c): v.written_at
//    for the writer's colo, v.written_at + a propagation_delay sample otherwise. The sample is
//    a pure function of (the seed drawn from the Rng at construction, v, c), so it is the same
//    whenever asked and needs no per-colo storage, and it takes no draws during the run.
//    VisibleVersion() is the newest version visible in c (which may have expired: an expired
//    newest-visible value reads as "not found"); Lookup() also returns its successor, the
//    oldest version newer than it (or the oldest version if none is visible), which is not
//    yet visible in c.
//  - Old versions are dropped once a newer version is visible everywhere (written_at +
//    propagation_delay.Quantile(1) <= now), and beyond the newest kMaxVersions per key (only
//    reachable with unbounded delay distributions): memory O(keys × versions in flight).
//  - Metrics: kv_writes (accepted writes) and kv_writes_rate_limited (429s), counted when the
//    write arrives inside the measurement window.
//  - Exposure: the store holds each key's newest version from its write until it expires or
//    is overwritten; that interval is added to credential_seconds_at_rest when overwritten,
//    or by FinishExposure(end) (idempotent like ColoCacheSim's). The store ("kv") counts once
//    in places_holding_credentials, at the first write whose life overlaps the window.
class KvStore {
 public:
  static constexpr size_t kMaxVersions = 64;

  struct Version {
    uint64_t version = 0;
    Credentials value;
    Time written_at;
    Time expires_at;
    uint32_t writer_colo = 0;
  };

  // `metrics` must outlive the store; `rng` provides the propagation seed (one draw).
  KvStore(const KvConfig& config, Rng rng, RunMetrics& metrics);
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  const KvConfig& config() const { return config_; }
  RunMetrics& metrics() { return metrics_; }

  KvStatus Write(CredentialKey key, const Credentials& value, Duration expiration_ttl,
                 uint32_t colo, Time now);
  Time VisibleAt(const Version& v, uint32_t colo) const;
  // Newest version visible in `colo` at `now`, or nullptr. Valid until the next Write().
  const Version* VisibleVersion(CredentialKey key, uint32_t colo, Time now) const;
  struct LookupResult {
    const Version* visible = nullptr;    // VisibleVersion()
    const Version* successor = nullptr;  // oldest version newer than `visible` (not visible)
  };
  LookupResult Lookup(CredentialKey key, uint32_t colo, Time now) const;
  // The key's newest written version if it has not expired at `now`, or nullptr.
  const Version* Newest(CredentialKey key, Time now) const;

  void FinishExposure(Time end);

 private:
  struct KeyState {
    std::vector<Version> versions;  // oldest first; empty until the first accepted write
    Time last_write;
    Time exposure_from;             // start of the newest version's unaccounted exposure
  };
  const KeyState* Find(CredentialKey key) const;

  KvConfig config_;
  uint64_t propagation_seed_;
  double max_propagation_s_;        // propagation_delay.Quantile(1); may be +inf
  Duration min_write_interval_;
  RunMetrics& metrics_;
  absl::flat_hash_map<CredentialKey, uint32_t> index_;  // key -> keys_ slot
  std::vector<KeyState> keys_;
  uint64_t next_version_ = 1;
  bool counted_place_ = false;
};

// KvColoView: the KV namespace as seen from one colo (or one Durable Object location),
// including that colo's read cache.
//
// Contract:
//  - Get(key, cache_ttl): cache_ttl <= 0 means config.default_cache_ttl; 0 < cache_ttl <
//    config.min_cache_ttl returns kInvalidTtl at once (no I/O, not counted). A read is HOT if
//    this colo holds a copy of the key that is served at the read's start (below); the cached
//    result (a value or a NEGATIVE lookup: "not found" is cached too) is returned after a
//    hot-latency sample. Otherwise it is a COLD read: after a cold-latency sample it fails with
//    kError during an outage, else returns the store's VisibleVersion() for this colo at its
//    completion (kNotFound if none or expired) and caches that result (found or not). Each Get
//    fails with kError with read_error_probability (not cached).
//  - When a copy is served (the staleness rule). A copy fetched at f (a cold read's completion
//    or a background refresh's) by a read with cacheTtl Tc, holding version v or "not found",
//    is served to a read with cacheTtl Tr at time t iff, with T = min(Tc, Tr):
//      t < f + T, and t < v's expiration (a found copy), and
//      if a version s newer than v existed at f (the successor of Lookup(): written at ws,
//      visible in this colo from ps): t < max(ws + T, ps).
//    So the propagation delay and the cache age overlap rather than add: a copy that was
//    already superseded when fetched ages from the superseding write, but is kept until that
//    write is visible here. Consequence (the bound of sources.md §P4 "Staleness bound on
//    read"): a read decided at t (at the start of a hot read, at the end of a cold one) returns
//    a version at least as new as every version written at or before
//    t - max(Tr, D), D = propagation_delay.Quantile(1) (60 s by default); a cold read with
//    nothing cached sees every version written at least D earlier. The writer's colo sees its
//    own accepted write at once (Put drops its copy; VisibleAt is the write time there).
//  - Background refresh (sources.md §P4 Architecture; trigger: assumption), when
//    config.background_refresh.enabled: a hot read at t of a copy fetched at f with effective
//    cacheTtl T (as above) and t - f >= (1 - window) x T starts a background re-fetch of the
//    key unless one is already in flight for this (colo, key). "Frequently read" thus means:
//    read again within the last `window` of its copy's cacheTtl. The hot read itself is not
//    delayed. The re-fetch takes a cold-latency sample; then, unless it fails (outage, or
//    read_error_probability), it replaces this colo's copy with the store's VisibleVersion()
//    at that instant, fetched then with cacheTtl Tr of the triggering read (the staleness
//    rule applies to it like to any copy). Re-fetches are not user reads: not counted in
//    kv_reads (so not billed; assumption, sources.md §P4 bills user reads) nor in
//    kv_read_hits / kv_stale_reads; background_refreshes() counts the completed ones. A key
//    read in a colo at intervals shorter than window x cacheTtl minus a cold-read latency
//    thus pays one cold read there and then only hot reads; one read less often than once
//    per cacheTtl pays a cold read every time.
//  - Put(key, value, expiration_ttl): expiration_ttl < config.min_expiration_ttl returns
//    kInvalidTtl at once; otherwise after a write-latency sample the store's Write() decides.
//    An accepted write drops this colo's cached entry of the key, so the writer's colo reads
//    the new value at once.
//  - Randomness: each Get takes 2 draws (latency, error), each Put 1 (latency), from the
//    view's Rng; background re-fetches take 2 draws each from a second stream derived from the
//    view's Rng at construction, so enabling them does not shift the request path's draws.
//  - Metrics (at completion, inside the window): kv_reads (every Get that did I/O, hot or
//    cold, errors included: all are billed), kv_read_hits (Gets that returned a value),
//    kv_stale_reads (kOk or kNotFound results older than the newest unexpired version
//    written to the store, or "not found" while one exists).
//  - Exposure: a cached value is held from caching until the earliest of its cache expiry
//    (for its own cacheTtl Tc) and its replacement; accounted like ColoCacheSim's
//    (FinishExposure(end) at the end of a run). The view counts once in
//    places_holding_credentials, the first time it caches a value whose life overlaps the
//    window.
//  - Memory O(keys read in this colo); the hot path does not allocate (a re-fetch is a
//    coroutine root whose frame comes from the frame pool).
class KvColoView final : public KvNamespace {
 public:
  // `store` and `executor` must outlive the view; metrics go to store.metrics().
  KvColoView(KvStore& store, uint32_t colo, Rng rng, Executor& executor);

  Task<KvRead> Get(CredentialKey key, Duration cache_ttl) override;
  Task<KvStatus> Put(CredentialKey key, Credentials value,
                     Duration expiration_ttl) override;

  void FinishExposure(Time end);
  uint32_t colo() const { return colo_; }
  // Background re-fetches completed so far (successful or not), whole run.
  uint64_t background_refreshes() const { return background_refreshes_; }

 private:
  struct CacheEntry {
    bool live = false;
    bool found = false;
    bool refreshing = false;  // a background re-fetch is in flight
    uint64_t version = 0;
    Credentials value;
    Time cached_at;                            // f of the staleness rule
    Duration cache_ttl;                        // Tc
    Time value_expires_at = Time::Infinite();  // the value's expiration (found copies)
    Time superseded_at = Time::Infinite();     // ws (Infinite: not superseded when fetched)
    Time superseded_visible = Time::Infinite();  // ps
    Time expires_at;     // ServedUntil(*this, cache_ttl), for exposure
    Time exposure_from;  // start of the unaccounted exposure (found entries only)
  };
  // The first instant the copy is no longer served to a read with effective cacheTtl `ttl`.
  static Time ServedUntil(const CacheEntry& e, Duration ttl);
  // Drops a live entry at `now`, accounting its exposure.
  void Drop(CacheEntry& e, Time now);
  // Replaces entries_[slot] with the store's result for this colo at `now`.
  CacheEntry& Fill(uint32_t slot, CredentialKey key, Duration cache_ttl, Time now);
  Task<void> Refresh(CredentialKey key, uint32_t slot, Duration cache_ttl);
  void CountRead(Time now, CredentialKey key, bool found, uint64_t version);

  KvStore& store_;
  const uint32_t colo_;
  Rng rng_;
  Rng refresh_rng_;
  Executor& executor_;
  RunMetrics& metrics_;
  absl::flat_hash_map<CredentialKey, uint32_t> index_;  // key -> entries_ slot
  std::vector<CacheEntry> entries_;
  uint64_t background_refreshes_ = 0;
  bool counted_place_ = false;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_KV_SIM_H_
