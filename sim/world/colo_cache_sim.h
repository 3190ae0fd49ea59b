// Simulated Cloudflare Cache API (`caches.default`) of one colo: the adapter of the
// `ColoCache` port (strategies/ports.h) used by L2 strategies.
#ifndef CREDSIM_SIM_WORLD_COLO_CACHE_SIM_H_
#define CREDSIM_SIM_WORLD_COLO_CACHE_SIM_H_

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

// Parameters of the Cache API of every colo. Latencies are distributions in seconds.
struct ColoCacheConfig {
  // false models a Worker on *.workers.dev (or the dashboard editor), where the Cache API
  // does nothing: match always misses, put stores nothing (sources.md §P3 "Where it works").
  bool enabled = true;
  // Local-colo I/O, "low single-digit ms" (sources.md §P3 put/match latency: assumption).
  Distribution match_latency = Distribution::Uniform(0.001, 0.003);
  Distribution put_latency = Distribution::Uniform(0.001, 0.003);
  // put() resolves whether or not the object was stored (sources.md §P3 put() semantics);
  // 0.1 % silently not stored (sources.md §P9: assumption).
  double put_failure_probability = 0.001;
  // match() rejects (the strategy sees CacheMatch::error); assumption, off by default.
  double read_error_probability = 0;
  // LRU retention < TTL for rarely used keys (sources.md §P3 "Retention vs Freshness"): an
  // entry not matched for longer than this counts as evicted at last_access + this.
  // Duration::Infinite() disables (JSON: null). 1 h is an assumption.
  Duration lru_idle_eviction = Duration::Hours(1);
  // Probability that a match finds a live entry evicted anyway (random early eviction under
  // cache pressure); assumption, off by default.
  double eviction_probability = 0;
};

// Reads {"enabled", "match_latency", "put_latency", "put_failure_probability",
// "read_error_probability", "lru_idle_eviction", "eviction_probability"} from `r`; absent keys
// keep the defaults of `*out`. Errors are recorded in `r` and returned.
absl::Status ParseColoCacheConfig(JsonReader& r, ColoCacheConfig* out);

// ColoCacheSim: the Cache API of one colo.
//
// Contract:
//  - Match(key) sleeps a match_latency sample, then looks the key up. It misses when there is
//    no entry, the entry's TTL has passed (now >= stored_at + ttl), the entry was idle
//    (not stored or matched) for lru_idle_eviction or longer, or a random early eviction
//    (eviction_probability) strikes; each of these removes the entry. With probability
//    read_error_probability it returns {error = true} without looking. A hit refreshes the
//    entry's last access time.
//  - Put(key, value, ttl) sleeps a put_latency sample, then stores the entry (replacing any
//    previous one) unless a put failure (put_failure_probability) strikes or ttl <= 0.
//  - Disabled cache: Match returns a miss and Put returns at once, with no latency, no
//    randomness and nothing stored; both still count as calls in the metrics.
//  - Randomness: every Match takes exactly 3 draws (latency, read error, eviction) and every
//    Put exactly 2 (latency, failure), whatever the configuration.
//  - Metrics (counted when the call completes inside the measurement window): cache_matches
//    (every Match call), cache_hits (Match returned a value), cache_puts (every Put call).
//  - Exposure: an entry holds credentials at rest from its store until the earliest of its
//    TTL end, its LRU idle-eviction instant and the moment it is replaced or evicted; that
//    interval is added to credential_seconds_at_rest when the entry is replaced or removed,
//    or by FinishExposure(end) for entries still live at the end of a run (idempotent: a
//    second call adds only time after the first). The colo counts once in
//    places_holding_credentials, the first time it stores an entry whose life overlaps the
//    measurement window.
//  - Memory O(distinct keys ever stored); lookups do not allocate. Entries live in a vector
//    (indexed by a hash map used only for lookups) so FinishExposure sums in insertion order.
class ColoCacheSim final : public ColoCache {
 public:
  // `executor` and `metrics` must outlive the cache.
  ColoCacheSim(const ColoCacheConfig& config, Rng rng, Executor& executor, RunMetrics& metrics);

  bool enabled() const override { return config_.enabled; }
  Task<CacheMatch> Match(CredentialKey key) override;
  Task<void> Put(CredentialKey key, Credentials value, Duration ttl) override;

  // Adds the exposure of entries still live at `end` (typically the end of the run).
  void FinishExposure(Time end);

  // Number of live (stored, not yet removed) entries; for tests.
  size_t live_entries() const { return live_; }

 private:
  struct Entry {
    bool live = false;
    Credentials value;
    Time stored_at;       // start of the not yet accounted exposure
    Time expires_at;      // stored_at + ttl
    Time last_access;     // last store or hit
  };
  // When the entry stops existing if nothing else happens (TTL or LRU idle eviction).
  Time NaturalEnd(const Entry& e) const;
  // Removes a live entry at `now`, accounting its exposure up to min(now, natural end).
  void Remove(Entry& e, Time now);

  ColoCacheConfig config_;
  Rng rng_;
  Executor& executor_;
  RunMetrics& metrics_;
  absl::flat_hash_map<CredentialKey, uint32_t> index_;  // key -> entries_ slot
  std::vector<Entry> entries_;
  size_t live_ = 0;
  bool counted_place_ = false;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_COLO_CACHE_SIM_H_
