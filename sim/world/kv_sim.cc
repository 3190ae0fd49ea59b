#include "sim/world/kv_sim.h"

#include "sim/config/distribution_json.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "fmt/format.h"

namespace credsim {
namespace {

Time SaturatingAdd(Time t, Duration d) {
  if (d >= Time::Infinite() - t) return Time::Infinite();
  return t + d;
}

KvRead NoValue(KvStatus s) { return KvRead{.status = s, .value = std::nullopt}; }

// Uniform in the open interval (0, 1) from a 64-bit hash (as Rng::UniformOpen01).
double HashToOpen01(uint64_t h) {
  return (static_cast<double>(h >> 12) + 0.5) * 0x1.0p-52;
}

}  // namespace

bool KvConfig::InOutage(Time t) const {
  for (const KvOutage& o : outages) {
    if (t >= o.start && t < o.end) return true;
  }
  return false;
}

absl::Status ParseKvConfig(JsonReader& r, KvConfig* out) {
  ReadDurationDistribution(r, "read_latency_hot", &out->read_latency_hot,
      {.doc = "Latency of a read served from the colo's cache.",
       .source = "sources.md §P4 Read latency, §P9 (1-5 ms); distribution: assumption."});
  ReadDurationDistribution(r, "read_latency_cold", &out->read_latency_cold,
      {.doc = "Latency of a read that goes to the regional/central tiers.",
       .source = "assumption (sources.md §P8, §P9: 30-150 ms)."});
  ReadDurationDistribution(r, "write_latency", &out->write_latency,
      {.doc = "Round trip of a write to the central store.",
       .source = "assumption."});
  ReadDurationDistribution(r, "propagation_delay", &out->propagation_delay,
      {.doc = "Time until a write is visible in colos other than the writer's (visible at "
              "once in the writer's colo); overlaps a colo's cache age rather than adding to "
              "it, so staleness is at most max(largest delay, cacheTtl) (docs/scenarios.md, "
              "KV read semantics).",
       .source = "sources.md §P4 Consistency: \"up to 60 seconds or more\"; §P4 Staleness bound "
                 "on read."});
  out->min_cache_ttl = r.GetDuration("min_cache_ttl", out->min_cache_ttl,
      {.doc = "Smallest cacheTtl accepted by get().",
       .source = "sources.md §P4 cacheTtl: 30 s (current limits page; 60 s on older pages)."});
  out->default_cache_ttl = r.GetDuration("default_cache_ttl", out->default_cache_ttl,
      {.doc = "cacheTtl used when a get() passes none.",
       .source = "sources.md §P4 cacheTtl: default 60 s."});
  if (r.ok() && out->default_cache_ttl < out->min_cache_ttl) {
    r.Fail(r.PathOf("default_cache_ttl"),
           fmt::format("{} is below min_cache_ttl ({}); expected a duration >= min_cache_ttl",
                       FormatDuration(out->default_cache_ttl),
                       FormatDuration(out->min_cache_ttl)));
  }
  out->write_rate_per_key_per_s =
      r.GetNumber("write_rate_per_key_per_s", out->write_rate_per_key_per_s, 0, 1e9,
          {.doc = "Writes per second accepted per key; excess writes get 429 and are counted in "
                  "kv.writes_rate_limited, not billed (no source bills a rejected write). 0 = "
                  "unlimited.",
           .source = "sources.md §P4 Write rate per key: 1 write/s."});
  out->min_expiration_ttl = r.GetDuration("min_expiration_ttl", out->min_expiration_ttl,
      {.doc = "Smallest expirationTtl accepted by put().",
       .source = "sources.md §P4 Expiration: < 60 s not supported."});
  const std::vector<const nlohmann::json*> outages = r.GetArray("outages",
      {.doc = "Central-store outages [start, end) since the start: cold reads and writes "
              "fail, reads served from a colo's cache keep working.",
       .source = "sources.md §P4 Outage behaviour (2025-06-12); none by default."});
  if (r.ok() && r.Has("outages")) {
    out->outages.clear();
    const std::string array_path = r.PathOf("outages");
    for (size_t i = 0; i < outages.size(); ++i) {
      JsonReader o(*outages[i], JsonReader::ElementPath(array_path, i), r);
      for (std::string_view key : {"start", "end"}) {
        if (o.ok() && !o.Has(key)) {
          o.Fail(o.PathOf(key), "missing; expected a duration since the simulation start");
        }
      }
      const Duration start = o.GetDuration("start", Duration(),
          {.doc = "Start of the window.", .required = true});
      const Duration end = o.GetDuration("end", Duration(),
          {.doc = "End of the window (exclusive).", .required = true});
      if (o.ok() && end <= start) {
        o.Fail(o.PathOf("end"), fmt::format("must be after start ({})", FormatDuration(start)));
      }
      (void)o.Finish();  // unknown keys; the error lands in `r`
      out->outages.push_back(KvOutage{Time() + start, Time() + end});
    }
  }
  out->read_error_probability =
      r.GetNumber("read_error_probability", out->read_error_probability, 0, 1,
          {.doc = "A get() fails with an error.",
           .source = "assumption."});
  // background_refresh: an object {"window"}, true (defaults), or null / false (off).
  const nlohmann::json* refresh = r.GetRaw("background_refresh",
      {.schema = R"json({"anyOf": [{"type": "object"}, {"type": "boolean"}, {"type": "null"}], "default": {"window": 0.5}})json"});
  if (r.ok() && refresh != nullptr && !refresh->is_object()) {
    if (refresh->is_null() || refresh->is_boolean()) {
      out->background_refresh.enabled = refresh->is_boolean() && refresh->get<bool>();
    } else {
      r.Fail(r.PathOf("background_refresh"),
             "expected an object {\"window\": fraction of cacheTtl in [0, 1]}, true, null or "
             "false");
    }
  } else {
    if (refresh != nullptr) out->background_refresh.enabled = true;
    JsonReader b = r.Child("background_refresh",
        {.doc = "Background refresh of frequently read keys: the re-fetch takes a cold-read "
                "latency, is not a user read (not billed), and renews the copy with the "
                "version then visible. true or an object enables it, null or false disables it.",
         .source = "sources.md §P4 Architecture (\"Frequently read keys are refreshed in the "
                   "background before their cache expires\"); trigger: assumption."});
    out->background_refresh.window =
        b.GetNumber("window", out->background_refresh.window, 0, 1,
            {.doc = "A read served from the colo's copy once the copy is at least (1 - window) x its cacheTtl old starts a background re-fetch (at most one in flight per colo and key); 0 never triggers.", .source = "assumption."});
    (void)b.Finish();  // unknown keys; the error lands in `r`
  }
  return r.status();
}

// ---------------------------------------------------------------------------------------------
// KvStore

KvStore::KvStore(const KvConfig& config, Rng rng, RunMetrics& metrics)
    : config_(config),
      propagation_seed_(rng.Next()),
      max_propagation_s_(config.propagation_delay.Quantile(1.0)),
      min_write_interval_(config.write_rate_per_key_per_s > 0
                              ? Duration::FromSecondsF(1.0 / config.write_rate_per_key_per_s)
                              : Duration()),
      metrics_(metrics) {}

const KvStore::KeyState* KvStore::Find(CredentialKey key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &keys_[it->second];
}

KvStatus KvStore::Write(CredentialKey key, const Credentials& value, Duration expiration_ttl,
                        uint32_t colo, Time now) {
  if (config_.InOutage(now)) return KvStatus::kError;
  const auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(keys_.size()));
  if (inserted) keys_.emplace_back();
  KeyState& k = keys_[it->second];
  const bool measuring = metrics_.Measuring(now);
  if (!k.versions.empty() && now - k.last_write < min_write_interval_) {
    if (measuring) ++metrics_.kv_writes_rate_limited;
    return KvStatus::kRateLimited;
  }
  if (measuring) ++metrics_.kv_writes;
  if (!k.versions.empty()) {
    metrics_.AddExposure(k.exposure_from, std::min(now, k.versions.back().expires_at));
  }
  k.last_write = now;
  k.exposure_from = now;
  k.versions.push_back(Version{next_version_++, value, now, SaturatingAdd(now, expiration_ttl),
                               colo});
  const Version& newest = k.versions.back();
  if (!counted_place_ && now < metrics_.measure_to && newest.expires_at > metrics_.measure_from) {
    counted_place_ = true;
    ++metrics_.places_holding_credentials;
  }

  // Drop versions hidden everywhere by a newer version visible in every colo.
  size_t drop = 0;
  if (std::isfinite(max_propagation_s_)) {
    const Duration max_delay = Duration::FromSecondsF(max_propagation_s_);
    for (size_t i = k.versions.size(); i-- > 0;) {
      if (SaturatingAdd(k.versions[i].written_at, max_delay) <= now) {
        drop = i;
        break;
      }
    }
  }
  drop = std::max(drop, k.versions.size() > kMaxVersions ? k.versions.size() - kMaxVersions : 0);
  if (drop > 0) k.versions.erase(k.versions.begin(), k.versions.begin() + drop);
  return KvStatus::kOk;
}

Time KvStore::VisibleAt(const Version& v, uint32_t colo) const {
  if (colo == v.writer_colo) return v.written_at;
  const uint64_t h = Mix64(Mix64(propagation_seed_ ^ v.version) ^ colo);
  const double delay = config_.propagation_delay.Quantile(HashToOpen01(h));
  return SaturatingAdd(v.written_at, Duration::FromSecondsF(delay));
}

const KvStore::Version* KvStore::VisibleVersion(CredentialKey key, uint32_t colo,
                                                Time now) const {
  return Lookup(key, colo, now).visible;
}

KvStore::LookupResult KvStore::Lookup(CredentialKey key, uint32_t colo, Time now) const {
  LookupResult out;
  const KeyState* k = Find(key);
  if (k == nullptr || k->versions.empty()) return out;
  for (size_t i = k->versions.size(); i-- > 0;) {
    if (VisibleAt(k->versions[i], colo) <= now) {
      out.visible = &k->versions[i];
      if (i + 1 < k->versions.size()) out.successor = &k->versions[i + 1];
      return out;
    }
  }
  out.successor = &k->versions.front();
  return out;
}

const KvStore::Version* KvStore::Newest(CredentialKey key, Time now) const {
  const KeyState* k = Find(key);
  if (k == nullptr || k->versions.empty()) return nullptr;
  const Version& v = k->versions.back();
  return now < v.expires_at ? &v : nullptr;
}

void KvStore::FinishExposure(Time end) {
  for (KeyState& k : keys_) {
    if (k.versions.empty()) continue;
    metrics_.AddExposure(k.exposure_from, std::min(end, k.versions.back().expires_at));
    k.exposure_from = std::max(k.exposure_from, end);
  }
}

// ---------------------------------------------------------------------------------------------
// KvColoView

KvColoView::KvColoView(KvStore& store, uint32_t colo, Rng rng, Executor& executor)
    : store_(store),
      colo_(colo),
      rng_(rng),
      // A second stream for background re-fetches, derived from (not drawn from) `rng`.
      refresh_rng_(Mix64(rng.state()[0] ^ Mix64(rng.state()[3] ^ 0x6b762d7265667265u))),
      executor_(executor),
      metrics_(store.metrics()) {}

Time KvColoView::ServedUntil(const CacheEntry& e, Duration ttl) {
  Time until = std::min(SaturatingAdd(e.cached_at, ttl), e.value_expires_at);
  if (e.superseded_at != Time::Infinite()) {
    until = std::min(until, std::max(SaturatingAdd(e.superseded_at, ttl), e.superseded_visible));
  }
  return until;
}

void KvColoView::Drop(CacheEntry& e, Time now) {
  if (e.found) metrics_.AddExposure(e.exposure_from, std::min(now, e.expires_at));
  e.live = false;
}

void KvColoView::CountRead(Time now, CredentialKey key, bool found, uint64_t version) {
  if (!metrics_.Measuring(now)) return;
  if (found) ++metrics_.kv_read_hits;
  const KvStore::Version* newest = store_.Newest(key, now);
  if (newest != nullptr && (!found || version < newest->version)) ++metrics_.kv_stale_reads;
}

KvColoView::CacheEntry& KvColoView::Fill(uint32_t slot, CredentialKey key, Duration cache_ttl,
                                         Time now) {
  const KvStore::LookupResult l = store_.Lookup(key, colo_, now);
  const KvStore::Version* v = l.visible;
  const bool found = v != nullptr && now < v->expires_at;
  CacheEntry& e = entries_[slot];
  if (e.live) Drop(e, now);
  e.live = true;
  e.found = found;
  e.version = found ? v->version : 0;
  e.value = found ? v->value : Credentials{};
  e.cached_at = now;
  e.cache_ttl = cache_ttl;
  e.value_expires_at = found ? v->expires_at : Time::Infinite();
  e.superseded_at = l.successor != nullptr ? l.successor->written_at : Time::Infinite();
  e.superseded_visible =
      l.successor != nullptr ? store_.VisibleAt(*l.successor, colo_) : Time::Infinite();
  e.expires_at = ServedUntil(e, cache_ttl);
  e.exposure_from = now;
  if (found && !counted_place_ && now < metrics_.measure_to &&
      e.expires_at > metrics_.measure_from) {
    counted_place_ = true;
    ++metrics_.places_holding_credentials;
  }
  return e;
}

Task<void> KvColoView::Refresh(CredentialKey key, uint32_t slot, Duration cache_ttl) {
  const KvConfig& config = store_.config();
  co_await Sleep(executor_, SampleDuration(config.read_latency_cold, refresh_rng_));
  const bool error = refresh_rng_.Bernoulli(config.read_error_probability);
  const Time now = executor_.Now();
  entries_[slot].refreshing = false;
  ++background_refreshes_;
  if (error || config.InOutage(now)) co_return;
  Fill(slot, key, cache_ttl, now);
}

Task<KvRead> KvColoView::Get(CredentialKey key, Duration cache_ttl) {
  const KvConfig& config = store_.config();
  if (cache_ttl <= Duration()) cache_ttl = config.default_cache_ttl;
  if (cache_ttl < config.min_cache_ttl) co_return NoValue(KvStatus::kInvalidTtl);

  const Time start = executor_.Now();
  const auto it = index_.find(key);
  if (it != index_.end()) {
    CacheEntry& e = entries_[it->second];
    const Duration ttl = std::min(cache_ttl, e.cache_ttl);
    if (e.live && start < ServedUntil(e, ttl)) {
      // Hot read: snapshot the cached result before suspending.
      const bool found = e.found;
      const uint64_t version = e.version;
      const Credentials value = e.value;
      const KvConfig::BackgroundRefresh& refresh = config.background_refresh;
      if (refresh.enabled && !e.refreshing && refresh.window > 0 &&
          (start - e.cached_at).seconds() >= (1 - refresh.window) * ttl.seconds()) {
        e.refreshing = true;
        Spawn(executor_, Refresh(key, it->second, cache_ttl));
      }
      co_await Sleep(executor_, SampleDuration(config.read_latency_hot, rng_));
      const bool error = rng_.Bernoulli(config.read_error_probability);
      const Time now = executor_.Now();
      if (metrics_.Measuring(now)) ++metrics_.kv_reads;
      if (error) co_return NoValue(KvStatus::kError);
      CountRead(now, key, found, version);
      if (!found) co_return NoValue(KvStatus::kNotFound);
      co_return KvRead{.status = KvStatus::kOk, .value = value};
    }
  }

  // Cold read through the regional/central tiers.
  co_await Sleep(executor_, SampleDuration(config.read_latency_cold, rng_));
  const bool error = rng_.Bernoulli(config.read_error_probability);
  const Time now = executor_.Now();
  if (metrics_.Measuring(now)) ++metrics_.kv_reads;
  if (error || config.InOutage(now)) co_return NoValue(KvStatus::kError);

  const auto [slot, inserted] = index_.try_emplace(key, static_cast<uint32_t>(entries_.size()));
  if (inserted) entries_.emplace_back();
  const CacheEntry& e = Fill(slot->second, key, cache_ttl, now);
  CountRead(now, key, e.found, e.version);
  if (!e.found) co_return NoValue(KvStatus::kNotFound);
  co_return KvRead{.status = KvStatus::kOk, .value = e.value};
}

Task<KvStatus> KvColoView::Put(CredentialKey key, Credentials value,
                               Duration expiration_ttl) {
  const Credentials v = value;  // copy before the first suspension
  const KvConfig& config = store_.config();
  if (expiration_ttl < config.min_expiration_ttl) co_return KvStatus::kInvalidTtl;
  co_await Sleep(executor_, SampleDuration(config.write_latency, rng_));
  const Time now = executor_.Now();
  const KvStatus status = store_.Write(key, v, expiration_ttl, colo_, now);
  if (status == KvStatus::kOk) {
    const auto it = index_.find(key);
    if (it != index_.end() && entries_[it->second].live) Drop(entries_[it->second], now);
  }
  co_return status;
}

void KvColoView::FinishExposure(Time end) {
  for (CacheEntry& e : entries_) {
    if (!e.live || !e.found) continue;
    metrics_.AddExposure(e.exposure_from, std::min(end, e.expires_at));
    e.exposure_from = std::max(e.exposure_from, end);
  }
}

}  // namespace credsim
