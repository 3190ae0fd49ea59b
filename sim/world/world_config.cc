#include "sim/world/world_config.h"

#include "fmt/format.h"

namespace credsim {
namespace {

// Reports a timer duration (added to the current instant) that could overflow the clock.
template <typename D>
void CheckTimer(JsonReader& r, std::string_view key, const D& d) {
  if (!r.ok()) return;
  const std::optional<Duration> v = d;
  if (v && *v > kMaxTimerDuration) {
    r.Fail(r.PathOf(key),
           fmt::format("{} is too large: added to the last instant of a run ({} warm-up + "
                       "duration, plus the 1h drain) it would overflow the clock; expected at "
                       "most {}",
                       FormatDuration(*v), FormatDuration(kMaxRunLength),
                       FormatDuration(kMaxTimerDuration)));
  }
}

template <typename F>
absl::Status Section(JsonReader& parent, std::string_view key, F parse) {
  JsonReader r = parent.Child(key);
  if (absl::Status s = parse(r); !s.ok()) return s;
  return r.Finish();
}

}  // namespace

const char* InitialStateName(InitialState s) {
  return s == InitialState::kCold ? "cold" : "steady";
}

absl::Status CheckRunLength(const WorldConfig& w) {
  auto fail = [](std::string_view path, std::string msg) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, msg));
  };
  if (w.duration <= Duration()) return fail("duration", "must be > 0");
  if (w.warmup < Duration()) return fail("warmup", "must be >= 0");
  const std::optional<Duration> total = CheckedAdd(w.duration, w.warmup);
  if (!total || *total > kMaxRunLength) {
    return fail("duration",
                fmt::format("warmup + duration must be at most {}; got {} + {}",
                            FormatDuration(kMaxRunLength), FormatDuration(w.warmup),
                            FormatDuration(w.duration)));
  }
  if (w.interval < Duration::Seconds(1)) return fail("timeseries_interval", "must be >= 1s");
  if (*total / w.interval > kMaxIntervals) {
    return fail("timeseries_interval",
                "too small for the duration (more than 1,000,000 intervals)");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ResolveDeployColo(const WorldConfig& w, const ColoSet& colos) {
  if (!w.workers.deploy_colo) {
    // Busiest by traffic weight; a relative tolerance keeps equal weights tied (the
    // probabilities are differences of a cumulative table), so ties go to the lowest index.
    uint32_t best = 0;
    double best_p = colos.traffic_weights().Probability(0);
    for (uint32_t i = 1; i < colos.size(); ++i) {
      const double p = colos.traffic_weights().Probability(i);
      if (p > best_p * (1 + 1e-9)) {
        best = i;
        best_p = p;
      }
    }
    return best;
  }
  const std::string& name = *w.workers.deploy_colo;
  for (uint32_t i = 0; i < colos.size(); ++i) {
    if (colos.colo(i).name == name) return i;
  }
  constexpr size_t kShown = 12;
  std::string accepted;
  for (size_t i = 0; i < colos.size() && i < kShown; ++i) {
    accepted += (i ? ", " : "") + colos.colo(i).name;
  }
  if (colos.size() > kShown) accepted += fmt::format(", ... ({} colos in all)", colos.size());
  return absl::InvalidArgumentError(fmt::format(
      "world.workers.deploy_colo: unknown colo \"{}\"; expected the name of a colo of "
      "world.colos ({}), or null for the busiest colo",
      name, accepted));
}

absl::Status CheckPrewarmKeys(int64_t roles, int64_t sessions_per_role) {
  // roles <= 1e7 and sessions <= 1e6 (traffic limits): the product fits int64, but compare by
  // division so that no input can overflow.
  if (roles > 0 && sessions_per_role > kMaxPrewarmKeys / roles) {
    return absl::InvalidArgumentError(fmt::format(
        "traffic.sessions_per_role: a strategy that prewarms its Durable Objects calls one per "
        "(role, session): {} roles x {} sessions is too many; expected roles x "
        "sessions_per_role <= {}",
        roles, sessions_per_role, kMaxPrewarmKeys));
  }
  return absl::OkStatus();
}

absl::Status CheckWorldConfig(const WorldConfig& w) {
  const ColoSet colos(w.colos);
  if (absl::StatusOr<uint32_t> c = ResolveDeployColo(w, colos); !c.ok()) return c.status();
  return ValidateBurstColos(w.traffic, colos);
}

absl::Status ParseIsolateConfig(JsonReader& r, IsolateConfig* out) {
  ReadDurationDistribution(r, "cold_start", &out->cold_start);
  out->cold_start_cpu = r.GetDuration("cold_start_cpu", out->cold_start_cpu);
  if (r.Has("idle_eviction") && r.GetRaw("idle_eviction")->is_null()) {
    out->evict_when_idle = false;  // null: never evicted for idleness
  } else {
    ReadDurationDistribution(r, "idle_eviction", &out->idle_eviction);
    if (r.Has("idle_eviction")) out->evict_when_idle = true;
  }
  out->random_evictions_per_hour =
      r.GetNumber("random_evictions_per_hour", out->random_evictions_per_hour, 0, 1e6);
  out->max_lifetime = r.GetOptionalDuration("max_lifetime");
  CheckTimer(r, "max_lifetime", out->max_lifetime);
  out->restart_interval = r.GetOptionalDuration("restart_interval");
  if (out->restart_interval && *out->restart_interval < kMinRestartInterval && r.ok()) {
    r.Fail(r.PathOf("restart_interval"),
           fmt::format("{} is too short; expected a duration >= {} (or null)",
                       FormatDuration(*out->restart_interval), FormatDuration(kMinRestartInterval)));
  }
  if (const nlohmann::json* rs = r.GetRaw("restarts")) {
    const std::string path = r.PathOf("restarts");
    if (!rs->is_array()) {
      r.Fail(path, "expected an array of durations from the start, e.g. [\"6h\", \"30h\"]");
    } else if (rs->size() > kMaxRestarts && r.ok()) {
      r.Fail(path, fmt::format("{} restarts are too many; expected at most {}", rs->size(),
                               kMaxRestarts));
    } else {
      for (size_t i = 0; i < rs->size() && r.ok(); ++i) {
        const auto& v = (*rs)[i];
        auto d = v.is_string() ? ParseDuration(v.get<std::string>())
                               : absl::StatusOr<Duration>(absl::InvalidArgumentError(
                                     "expected a duration string such as \"6h\""));
        if (!d.ok()) {
          r.Fail(JsonReader::ElementPath(path, i), std::string(d.status().message()));
        } else {
          out->restarts.push_back(*d);
        }
      }
    }
  }
  return r.status();
}

absl::Status ParseWorkerConfig(JsonReader& r, WorkerConfig* out) {
  out->edge_timeout = r.GetDuration("edge_timeout", out->edge_timeout);
  CheckTimer(r, "edge_timeout", out->edge_timeout);
  out->cross_request_waits_cancelled =
      r.GetBool("cross_request_waits_cancelled", out->cross_request_waits_cancelled);
  out->custom_domain = r.GetBool("custom_domain", out->custom_domain);
  out->cpu_per_request = r.GetDuration("cpu_per_request", out->cpu_per_request);
  out->prewarm_rate = r.GetNumber("prewarm_rate", out->prewarm_rate, 0.001, 1e6);
  if (const nlohmann::json* c = r.GetRaw("deploy_colo"); c != nullptr && r.ok()) {
    if (c->is_null()) {
      out->deploy_colo.reset();
    } else if (c->is_string() && !c->get<std::string>().empty()) {
      out->deploy_colo = c->get<std::string>();
    } else {
      r.Fail(r.PathOf("deploy_colo"),
             "expected the name of a colo (a non-empty string, e.g. \"colo000\"), or null for "
             "the busiest colo");
    }
  }
  return r.status();
}

absl::Status ParsePricingConfig(JsonReader& r, PricingConfig* out) {
  auto get = [&r](const char* key, double* v) { *v = r.GetNumber(key, *v, 0, 1e9); };
  get("kv_read_per_million", &out->kv_read_per_million);
  get("kv_write_per_million", &out->kv_write_per_million);
  get("do_request_per_million", &out->do_request_per_million);
  get("do_gb_s_per_million", &out->do_gb_s_per_million);
  get("do_memory_gb", &out->do_memory_gb);
  get("do_row_write_per_million", &out->do_row_write_per_million);
  get("workers_request_per_million", &out->workers_request_per_million);
  get("workers_cpu_ms_per_million", &out->workers_cpu_ms_per_million);
  return r.status();
}

absl::Status ParseWorldObject(JsonReader& world, WorldConfig* out) {
  if (absl::Status s = Section(world, "colos", [&](JsonReader& r) { return ParseColoConfig(r, &out->colos); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "isolates", [&](JsonReader& r) { return ParseIsolateConfig(r, &out->isolates); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "workers", [&](JsonReader& r) { return ParseWorkerConfig(r, &out->workers); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "sts", [&](JsonReader& r) { return ParseStsConfig(r, &out->sts); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "cache_api", [&](JsonReader& r) { return ParseColoCacheConfig(r, &out->cache_api); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "kv", [&](JsonReader& r) { return ParseKvConfig(r, &out->kv); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "durable_objects", [&](JsonReader& r) { return ParseDurableObjectConfig(r, &out->durable_objects); }); !s.ok()) return s;
  if (absl::Status s = Section(world, "pricing", [&](JsonReader& r) { return ParsePricingConfig(r, &out->pricing); }); !s.ok()) return s;
  return world.status();
}

}  // namespace credsim
