#include "sim/world/colo_cache_sim.h"

#include "sim/config/distribution_json.h"
#include "fmt/format.h"

#include <algorithm>
#include <string>
#include <utility>

namespace credsim {
namespace {

Time SaturatingAdd(Time t, Duration d) {
  if (d >= Time::Infinite() - t) return Time::Infinite();
  return t + d;
}

}  // namespace

absl::Status ParseColoCacheConfig(JsonReader& r, ColoCacheConfig* out) {
  out->enabled = r.GetBool("enabled", out->enabled,
      {.doc = "false = Cache API does nothing (match misses, put stores nothing).",
       .source = "sources.md §P3 Where it works."});
  ReadDurationDistribution(r, "match_latency", &out->match_latency,
      {.doc = "Latency of match().",
       .source = "assumption (sources.md §P3 put/match latency, §P9: 1-3 ms)."});
  ReadDurationDistribution(r, "put_latency", &out->put_latency,
      {.doc = "Latency of put().",
       .source = "assumption (sources.md §P3, §P9: 1-3 ms)."});
  out->put_failure_probability =
      r.GetNumber("put_failure_probability", out->put_failure_probability, 0, 1,
          {.doc = "put() resolves but silently stores nothing.",
           .source = "assumption (sources.md §P3 put() semantics, §P9: 0.1 %)."});
  out->read_error_probability =
      r.GetNumber("read_error_probability", out->read_error_probability, 0, 1,
          {.doc = "match() fails (counts as a miss).",
           .source = "assumption."});
  const bool has_idle = r.Has("lru_idle_eviction");
  const std::string idle_default =
      fmt::format(R"({{"default": "{}"}})", FormatDuration(out->lru_idle_eviction));
  if (std::optional<Duration> idle = r.GetOptionalDuration("lru_idle_eviction",
      {.doc = "An entry not matched for this long is evicted (LRU retention < TTL); null = "
              "never.",
       .source = "sources.md §P3 Retention vs Freshness; 1 h: assumption.",
       .schema = idle_default})) {
    out->lru_idle_eviction = *idle;
  } else if (has_idle) {
    out->lru_idle_eviction = Duration::Infinite();  // explicit null: no idle eviction
  }
  out->eviction_probability =
      r.GetNumber("eviction_probability", out->eviction_probability, 0, 1,
          {.doc = "A match finds a live entry evicted anyway (cache pressure).",
           .source = "assumption."});
  return r.status();
}

ColoCacheSim::ColoCacheSim(const ColoCacheConfig& config, Rng rng, Executor& executor,
                           RunMetrics& metrics)
    : config_(config), rng_(rng), executor_(executor), metrics_(metrics) {}

Time ColoCacheSim::NaturalEnd(const Entry& e) const {
  return std::min(e.expires_at, SaturatingAdd(e.last_access, config_.lru_idle_eviction));
}

void ColoCacheSim::Remove(Entry& e, Time now) {
  metrics_.AddExposure(e.stored_at, std::min(now, NaturalEnd(e)));
  e.live = false;
  --live_;
}

Task<CacheMatch> ColoCacheSim::Match(CredentialKey key) {
  if (!config_.enabled) {
    if (metrics_.Measuring(executor_.Now())) ++metrics_.cache_matches;
    co_return CacheMatch{};
  }
  co_await Sleep(executor_, SampleDuration(config_.match_latency, rng_));
  const bool read_error = rng_.Bernoulli(config_.read_error_probability);
  const bool evicted = rng_.Bernoulli(config_.eviction_probability);
  const Time now = executor_.Now();
  const bool measuring = metrics_.Measuring(now);
  if (measuring) ++metrics_.cache_matches;
  if (read_error) co_return CacheMatch{.error = true, .value = std::nullopt};
  const auto it = index_.find(key);
  if (it == index_.end()) co_return CacheMatch{};
  Entry& e = entries_[it->second];
  if (!e.live) co_return CacheMatch{};
  if (now >= NaturalEnd(e) || evicted) {
    Remove(e, now);
    co_return CacheMatch{};
  }
  e.last_access = now;
  if (measuring) ++metrics_.cache_hits;
  co_return CacheMatch{.value = e.value};
}

Task<void> ColoCacheSim::Put(CredentialKey key, Credentials value, Duration ttl) {
  const Credentials v = value;  // copy before the first suspension
  if (!config_.enabled) {
    if (metrics_.Measuring(executor_.Now())) ++metrics_.cache_puts;
    co_return;
  }
  co_await Sleep(executor_, SampleDuration(config_.put_latency, rng_));
  const bool failed = rng_.Bernoulli(config_.put_failure_probability);
  const Time now = executor_.Now();
  if (metrics_.Measuring(now)) ++metrics_.cache_puts;
  if (failed || ttl <= Duration()) co_return;

  const auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(entries_.size()));
  if (inserted) entries_.emplace_back();
  Entry& e = entries_[it->second];
  if (e.live) Remove(e, now);
  e.live = true;
  e.value = v;
  e.stored_at = now;
  e.expires_at = SaturatingAdd(now, ttl);
  e.last_access = now;
  ++live_;
  if (!counted_place_ && now < metrics_.measure_to && NaturalEnd(e) > metrics_.measure_from) {
    counted_place_ = true;
    ++metrics_.places_holding_credentials;
  }
}

void ColoCacheSim::FinishExposure(Time end) {
  for (Entry& e : entries_) {
    if (!e.live) continue;
    metrics_.AddExposure(e.stored_at, std::min(end, NaturalEnd(e)));
    e.stored_at = std::max(e.stored_at, end);
  }
}

}  // namespace credsim
